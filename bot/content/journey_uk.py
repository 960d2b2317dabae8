"""UK "what happens next" content: the English source text a child reads.

Every string is a whole passage marked with ``N_`` and translated when rendered. Keep each text
short and plain (see ``bot/content/__init__.py`` and ``tests/test_readability.py``).
"""

# For reviewers: the public guidance this text follows (England and Wales unless noted; Scotland
# and Northern Ireland differ in places, e.g. Guardianship Scotland, Children's Hearings, so add a
# region before using this text there):
#
# * Home Office, "Modern Slavery: statutory guidance for England and Wales (under s49 of the
#   Modern Slavery Act 2015) and non-statutory guidance for Scotland and Northern Ireland":
#   first responders and NRM referral (children need not consent; adults must); the Single
#   Competent Authority (SCA) in the Home Office makes reasonable grounds (RG) and conclusive
#   grounds (CG) decisions; in the devolved child decision-making pilot areas a local
#   multi-agency panel decides for children instead; RG target is 5 working days "where
#   possible" but it often takes much longer; RG test "reasonable grounds to believe", CG test
#   "balance of probabilities"; a positive RG gives a recovery and reflection period of at least
#   30 days (Nationality and Borders Act 2022, s60-61), with support and, in general, protection
#   from removal until the CG decision; reconsideration of negative decisions; CG decisions often
#   take many months, sometimes over a year. A positive CG does not itself grant leave to remain.
# * Home Office, "Independent Child Trafficking Guardians (ICTGs): guidance" (s48 MSA 2015):
#   independent of police, Home Office and children's services; advocates for the child; not a
#   social worker or lawyer; does not make decisions for the child; shares information when a
#   child is at risk of harm.
# * Modern Slavery Act 2015, s45 (defence for slavery or trafficking victims who commit an
#   offence; for under-18s no compulsion is needed; Schedule 4 excludes many serious offences);
#   CPS legal guidance "Modern Slavery, Human Trafficking and Smuggling" (non-punishment).
# * DfE, "Care of unaccompanied migrant children and child victims of modern slavery: statutory
#   guidance for local authorities" (2017): looked-after status, placements, interpreters,
#   education, health, age disputes, missing risk, legal aid.
# * Children Act 1989 (s20, s22: looked-after children; care plans; Independent Reviewing
#   Officers) and Children (Leaving Care) Act 2000 / Children and Social Work Act 2017: pathway
#   plan from 16, personal adviser up to 25; "staying put" with foster carers to 21 (England).
# * ADCS, "Age Assessment Guidance" (2015) and Merton case law: two trained social workers, an
#   appropriate adult, an interpreter, breaks, reasons given; benefit of the doubt, treat as a
#   child until decided; challenge by judicial review (promptly, within three months).
# * CPS / Ministry of Justice, "Achieving Best Evidence in Criminal Proceedings" (video-recorded
#   interviews, supporters, intermediaries); Youth Justice and Criminal Evidence Act 1999 ss16-30
#   (special measures: every witness under 18 is eligible); Code of Practice for Victims of Crime;
#   Citizens Advice Witness Service (pre-trial visits).
# * PACE 1984 Code C (a suspect under 18 must have an appropriate adult; free legal advice).
# * Legal Aid Agency / LASPO 2012 Sch 1 (immigration legal aid for separated children and for
#   people with a positive RG decision); Home Office "Children's asylum claims" guidance
#   (responsible adult and legal representative at interview; s55 Borders, Citizenship and
#   Immigration Act 2009, best interests).
# * NHS England, GP registration (no proof of address or immigration status needed); free NHS
#   dental care and prescriptions for under-18s in full-time education.
# * Childline 0800 1111 (free, 24 hours, for under-19s; calls do not show on the phone bill);
#   Modern Slavery & Exploitation Helpline 08000 121 700 (deliberately not shown to children:
#   its name would put unsafe words on their screen; advocates can give it in person).
#
# Words that could endanger a child if someone else read their phone ("trafficking",
# "slavery", "exploitation" and their forms) are never used in child-facing text, not even in
# official names: a child hears those from the adults, in person. Say "people who hurt or used
# you" and "what happened to you" instead.

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.content import GlossaryEntry, StageText, Topic
from bot.i18n import N_
from conversations.journey import Stage

STAGES: Final[Mapping[Stage, StageText]] = MappingProxyType(
    {
        Stage.FIRST_MEETING: StageText(
            title=N_("You and your advocate"),
            where_you_are=N_(
                "You have met your advocate. Your advocate is an adult who is on your side. "
                "They do not work for the police or the Home Office. "
                "Their job is to listen to you and help you understand what is happening. "
                "They can go with you to meetings. "
                "They speak up for you when adults make plans about your life."
            ),
            what_next=N_(
                "Your advocate will get to know you. "
                "They will ask what you need to feel safe. "
                "Adults may think that someone hurt you or used you. "
                "If so, they will tell the Home Office, so that you can get help. "
                "This is called an NRM referral. Your advocate can explain it to you."
            ),
            how_long=N_(
                "There is no rush. Your advocate can stay with you while you need help. "
                "You can write to them in this chat. "
                "They will answer when they can. "
                "If you need help now, press Help now."
            ),
            your_rights=N_(
                "You have the right to be safe. "
                "You have the right to understand what is happening, in your own language. "
                "You can ask questions at any time. "
                "You can say when you do not understand. "
                "You do not have to tell your story all at once."
            ),
            who_can_help=N_(
                "Your advocate is here for you. You can also talk to your social worker. "
                "If you are in danger now, call 999. "
                "You can call Childline for free on 0800 1111, at any time of day or night."
            ),
        ),
        Stage.NRM_REFERRAL: StageText(
            title=N_("Asking for help for you"),
            where_you_are=N_(
                "The NRM is a way to find and help young people who were hurt or used by others. "
                "An adult called a first responder sends a form about you to the Home Office. "
                "This is called a referral. "
                "The first responder may be the police, your council or a support group."
            ),
            what_next=N_(
                "A team at the Home Office reads the form. "
                "They decide if there is a good reason to think that people hurt or used you. "
                "This first decision is called reasonable grounds. "
                "In some places, a local team decides instead. "
                "You may not need to meet them."
            ),
            how_long=N_(
                "The first responder should send the form soon after they meet you. "
                "Your advocate can tell you when it has been sent."
            ),
            your_rights=N_(
                "You are under 18, so adults do not need your agreement to send the form. "
                "This is to keep you safe. "
                "But you should be told what the form is and why it is sent. "
                "You can ask what it says about you. "
                "Being referred does not mean you are in trouble."
            ),
            who_can_help=N_(
                "Ask your advocate to explain the form. Your social worker can help too. "
                "If you have a solicitor, tell them about the form. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.REASONABLE_GROUNDS: StageText(
            title=N_("Waiting for the first decision"),
            where_you_are=N_(
                "The Home Office is looking at the form about you. "
                "They are deciding if there are reasonable grounds. "
                "This means: is there a good reason to think that people hurt or used you? "
                "The team that decides is called the Single Competent Authority."
            ),
            what_next=N_(
                "A letter will tell the adults who help you what the team decided. "
                "Your advocate or social worker will tell you. "
                "If the answer is yes, your recovery period starts. "
                "If the answer is no, an adult who helps you can ask them to look again. "
                "A no does not stop the council looking after you."
            ),
            how_long=N_(
                "The Home Office tries to decide in 5 working days. "
                "Often it takes much longer, sometimes weeks or months. "
                "Waiting can be hard. It does not mean that something is wrong. "
                "Your advocate can ask for news for you."
            ),
            your_rights=N_(
                "While you wait, adults should still keep you safe and look after you. "
                "You should have a safe place to live, food, a doctor and school. "
                "You do not have to talk to the police to get a decision."
            ),
            who_can_help=N_(
                "Your advocate can tell you what the decision means. "
                "Your social worker and your solicitor can help too. "
                "If waiting makes you feel bad, tell your advocate. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.RECOVERY_PERIOD: StageText(
            title=N_("Time to rest and get help"),
            where_you_are=N_(
                "The Home Office said yes to the first decision. "
                "They think there is a good reason to believe that people hurt or used you. "
                "It is not the final decision. "
                "Now you have a recovery period. "
                "It is a time to rest, feel safer and get help."
            ),
            what_next=N_(
                "During this time, you get help to feel well and safe. "
                "The Home Office keeps looking at what happened to you. "
                "Later, they make a final decision. "
                "This is called the conclusive grounds decision."
            ),
            how_long=N_(
                "The recovery period lasts at least 30 days. "
                "Most often, your help goes on until the final decision. "
                "That can take many months."
            ),
            your_rights=N_(
                "You have the right to a safe place to live, to a doctor and to school. "
                "You can talk to a counsellor. "
                "You do not have to talk to the police to get this time. "
                "Most often, the Home Office cannot make you leave the UK during this time. "
                "Ask your solicitor what this means for you."
            ),
            who_can_help=N_(
                "Your advocate can help you get what you need. "
                "Your social worker plans your care with you. "
                "A doctor or a counsellor can help if you feel sad or scared, or cannot sleep. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.CONCLUSIVE_GROUNDS: StageText(
            title=N_("Waiting for the final answer"),
            where_you_are=N_(
                "The Home Office is making its final decision. "
                "This is called the conclusive grounds decision. "
                "They decide if it is more likely true than not that people hurt or used you. "
                "They may ask your advocate, your social worker or the police what they know."
            ),
            what_next=N_(
                "A letter will tell the adults who help you what the Home Office decided. "
                "If the answer is yes, you may get more help. "
                "A yes does not, on its own, give you the right to stay in the UK. "
                "If the answer is no, your solicitor can ask the Home Office to look again. "
                "A no does not stop the council looking after you."
            ),
            how_long=N_(
                "This decision often takes many months. Sometimes it takes more than a year. "
                "The wait is long for many young people. "
                "It does not mean that nobody believes you. "
                "Your advocate can ask for news."
            ),
            your_rights=N_(
                "While you wait, adults should still keep you safe and look after you. "
                "You can ask to see what the Home Office has written about you. "
                "You have the right to a solicitor. Most often, it is free for you."
            ),
            who_can_help=N_(
                "Your advocate can explain the letter and what it means for you. "
                "Your solicitor can help with your right to stay. "
                "Tell your advocate if the wait feels too hard. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.AGE_ASSESSMENT: StageText(
            title=N_("When adults check your age"),
            where_you_are=N_(
                "Some adults are not sure how old you are. "
                "So the council will do an age assessment. "
                "Two social workers meet you and ask you about your life. "
                "They use your answers to decide how old they think you are."
            ),
            what_next=N_(
                "You will have a few meetings. "
                "An adult you trust, like your advocate, should be with you. "
                "You should have an interpreter. "
                "At the end, the social workers tell you what they decided and why. "
                "You can say if you think it is wrong."
            ),
            how_long=N_(
                "It can take a few weeks, sometimes longer. "
                "Until it is finished, adults should treat you as a child."
            ),
            your_rights=N_(
                "You have the right to an interpreter and to take breaks. "
                "You have the right to have an adult with you. "
                "You can say if you do not understand a question. "
                "If you do not agree with the result, a solicitor can help you. "
                "Ask soon, because there are time limits."
            ),
            who_can_help=N_(
                "Your advocate can come with you and help you get ready. "
                "A solicitor can help if you do not agree with the result. "
                "If you have papers that show your age, show them to your advocate. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.PLACEMENT: StageText(
            title=N_("Your new home"),
            where_you_are=N_(
                "The council looks after you now. "
                "It finds you a safe place to live. This is called a placement. "
                "It may be with a foster carer, who looks after you in their home. "
                "It may be a children's home. "
                "If you are 16 or 17, it may be a home with support staff."
            ),
            what_next=N_(
                "You will move in and meet the people there. "
                "Your social worker will visit you and make a care plan with you. "
                "The first days in a new place can feel strange. "
                "The adults there should help you settle in."
            ),
            how_long=N_(
                "Some young people stay in one place for a long time. Some move. "
                "If you have to move, your social worker should tell you why. "
                "They should listen to what you want."
            ),
            your_rights=N_(
                "You have the right to be safe, to have food and clothes, and to go to school. "
                "You have the right to be listened to. "
                "Keep your address private. "
                "If someone from before contacts you, or asks you to leave, tell an adult at once."
            ),
            who_can_help=N_(
                "If something is wrong, talk to your carer, your social worker or your advocate. "
                "If you are in danger, call 999. "
                "If you want to leave where you live, please talk to someone first. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.POLICE_INTERVIEW: StageText(
            title=N_("Talking to the police"),
            where_you_are=N_(
                "The police want to talk to you. "
                "Most often, they want to hear what happened to you. "
                "Then they can try to stop the people who hurt you. "
                "This makes you a witness. "
                "The police should treat you with care and keep you safe."
            ),
            what_next=N_(
                "The interview happens in a quiet room. It is often filmed. "
                "Then you may not have to say it all again in court. "
                "A police officer who is trained to talk with young people asks the questions. "
                "You can ask for a break at any time."
            ),
            how_long=N_(
                "An interview can take a few hours, with breaks. "
                "Sometimes the police need to talk to you more than once. "
                "After the interview, it can take a long time to hear what happens next."
            ),
            your_rights=N_(
                "You have the right to an interpreter. "
                "You can have an adult you trust with you. "
                "You can say 'I do not know' or 'I do not remember'. "
                "If the police think you did something wrong, an adult must be with you. "
                "You also have the right to a free solicitor. Ask for one."
            ),
            who_can_help=N_(
                "Your advocate can help you get ready. They may come with you. "
                "If the police think you did something wrong, talk to a solicitor first. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.COURT: StageText(
            title=N_("Going to court"),
            where_you_are=N_(
                "There may be a trial in court about the people who hurt or used you. "
                "You may be asked to be a witness. "
                "A witness tells the court what they saw, or what happened to them. "
                "A witness is not the person on trial."
            ),
            what_next=N_(
                "Before the trial, you can visit the court to see what it looks like. "
                "Someone from the Witness Service can show you around. "
                "On the day, you may speak by video from another room. "
                "You may not have to see the people on trial."
            ),
            how_long=N_(
                "Court cases often take a long time, sometimes more than a year. "
                "The date can change. "
                "Sometimes a trial does not happen at all. "
                "This is not your fault."
            ),
            your_rights=N_(
                "You are under 18, so you can get special measures. "
                "These are ways to make it easier to speak in court. "
                "You may use a screen or a video link. "
                "The court may watch your filmed interview with the police. "
                "The judge decides which ones you get. "
                "You have the right to an interpreter."
            ),
            who_can_help=N_(
                "Your advocate and the Witness Service can help you get ready. "
                "If someone says that you broke the law, your solicitor will help you. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.IMMIGRATION_CLAIM: StageText(
            title=N_("Asking to stay in the UK"),
            where_you_are=N_(
                "You may be asking the Home Office to let you stay in the UK. "
                "One way is asylum. "
                "Asylum is help for people who are not safe in their home country. "
                "Your solicitor helps you make your claim."
            ),
            what_next=N_(
                "You may need to fill in a long form about your life and what you are afraid of. "
                "Your solicitor helps you. "
                "Later, you may have an interview with the Home Office. "
                "Then the Home Office decides. "
                "If they say no, you can often ask a judge to look again."
            ),
            how_long=N_(
                "It often takes many months to get an answer. "
                "Sometimes it takes more than a year. "
                "Your solicitor will tell you the news. "
                "Keep every letter you get, and show it to your solicitor."
            ),
            your_rights=N_(
                "You have the right to a solicitor. "
                "Legal aid most often pays, so it is free for you. "
                "You have the right to an interpreter. "
                "At the interview, your solicitor and an adult you trust should be with you. "
                "You can ask for breaks. "
                "The Home Office must think about what is best for you."
            ),
            who_can_help=N_(
                "Your solicitor is the best person to ask about your claim. "
                "Your advocate and your social worker can help you get to meetings. "
                "Never pay anyone who says they can get you papers. "
                "You can call Childline for free on 0800 1111."
            ),
        ),
        Stage.LEAVING_CARE: StageText(
            title=N_("Getting ready to leave care"),
            where_you_are=N_(
                "You are 16 or older, so you are getting ready for adult life. "
                "You have a pathway plan. "
                "It is a written plan about your home, money, school or work, and health. "
                "You help to write it. "
                "When you are 18, you become a care leaver."
            ),
            what_next=N_(
                "You will get a personal adviser. "
                "This adult helps you plan and keeps in touch after you leave care. "
                "You may learn to cook, use money and pay bills. "
                "Your plan is checked often."
            ),
            how_long=N_(
                "Your personal adviser can help you up to age 25. "
                "If you live with a foster carer, you may be able to stay there up to age 21. "
                "Ask your social worker about it."
            ),
            your_rights=N_(
                "You have the right to help from your council after you leave care. "
                "You have the right to a say in your pathway plan. "
                "Your right to stay in the UK can change what help you get. "
                "Talk to your solicitor early, before you are 18."
            ),
            who_can_help=N_(
                "Your personal adviser, your social worker and your advocate can help you plan. "
                "Your solicitor can help with your right to stay. "
                "You can call Childline for free on 0800 1111 until you are 19."
            ),
        ),
    }
)
"""The text for every journey stage."""

TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        id="advocate",
        title=N_("What your advocate is, and is not"),
        body=N_(
            "Your advocate is an adult who is on your side. "
            "Some people call them a guardian. "
            "They help you understand what is happening. "
            "They speak up for you in meetings. "
            "They are not the police, the Home Office or your social worker. "
            "They are not your solicitor. "
            "They do not make decisions for you. "
            "They keep what you say private. "
            "But if you are in danger, they must tell someone who can keep you safe."
        ),
    ),
    Topic(
        id="not_your_fault",
        title=N_("If you were made to break the law"),
        body=N_(
            "Sometimes people make young people do things that are against the law. "
            "For example, they make them sell drugs or steal. "
            "A UK law can protect you if you did these things because of what people did to you. "
            "It does not cover every crime. "
            "Tell your solicitor what happened, so they can use this law to help you. "
            "What they made you do was not your fault."
        ),
    ),
    Topic(
        id="solicitor",
        title=N_("A lawyer who works for you"),
        body=N_(
            "A solicitor is a lawyer. "
            "They tell you about the law and help you with your case. "
            "Your solicitor works only for you. "
            "What you tell them is private. "
            "Legal aid means that the government pays your solicitor. "
            "Most often, you pay nothing. "
            "Your advocate or social worker can help you find a solicitor. "
            "Be careful of people who ask for money to help with your papers. "
            "Ask your advocate first."
        ),
    ),
    Topic(
        id="interpreter",
        title=N_("Your right to an interpreter"),
        body=N_(
            "An interpreter tells you in your language what people say. "
            "They tell others in English what you say. "
            "You have the right to one with the police, in court and with the Home Office. "
            "You can have one with a doctor too. "
            "You do not pay for them. "
            "You can ask for a man or a woman. "
            "If you do not understand the interpreter, or you do not feel safe with them, "
            "say so. You can ask for a different one."
        ),
    ),
    Topic(
        id="health",
        title=N_("Your health"),
        body=N_(
            "You can see a family doctor, called a GP. "
            "Ask your carer or social worker to help you sign up. "
            "Seeing a GP is free. "
            "Most often, the dentist is free for you too. "
            "If you feel sad or scared, or cannot sleep, a counsellor can help. "
            "A counsellor is a person you talk to about your feelings. "
            "You can have an interpreter at the doctor. "
            "What you tell a doctor is private, unless you are in danger."
        ),
    ),
    Topic(
        id="school",
        title=N_("School and college"),
        body=N_(
            "Every child in the UK has the right to go to school, whatever their papers say. "
            "If you are under 16, your council must find you a school. "
            "If you are 16 or 17, you can go to college. "
            "You can learn English there. "
            "Each council has a team that helps children in care do well at school. "
            "Tell your social worker if you do not have a place yet."
        ),
    ),
    Topic(
        id="care",
        title=N_("Living in care"),
        body=N_(
            "If the council looks after you, you are a looked-after child. "
            "You have a social worker. They plan your care with you. "
            "You may live with a foster carer, who looks after you in their home. "
            "Or you may live in a children's home, with staff. "
            "From age 16, you also have a pathway plan. "
            "It helps you get ready for adult life. "
            "Later, a personal adviser helps you, up to age 25."
        ),
    ),
    Topic(
        id="special_measures",
        title=N_("Help for young people in court"),
        body=N_(
            "If you are a witness and you are under 18, you can get special measures. "
            "The judge decides which ones you get. "
            "A screen can stop you from seeing the person on trial. "
            "You can speak by video from another room. "
            "The court can watch your filmed police interview, so you do not have to say it "
            "all again. Judges and lawyers can dress in normal clothes, so the room feels "
            "less scary. "
            "A helper called an intermediary can help you understand the questions and answer."
        ),
    ),
    Topic(
        id="age_disputed",
        title=N_("If adults do not believe your age"),
        body=N_(
            "If adults do not believe how old you are, tell your advocate and social worker. "
            "Until your age is checked, you should be treated as a child. "
            "The council may do an age assessment. "
            "You can have an interpreter and an adult you trust with you. "
            "If you do not agree with the result, ask a solicitor for help quickly. "
            "There are time limits."
        ),
    ),
    Topic(
        id="help_now",
        title=N_("Getting help now"),
        body=N_(
            "If you are in danger now, call 999. It is free. "
            "If you want to talk to someone, call Childline on 0800 1111. "
            "It is free, day and night. "
            "The call does not show on the phone bill. "
            "You can also press Help now in this chat. "
            "Then a person who can help is told at once."
        ),
    ),
)
"""Extra explainers, in the order they are offered."""

GLOSSARY: Final[tuple[GlossaryEntry, ...]] = (
    GlossaryEntry(
        term=N_("Advocate"),
        meaning=N_(
            "An adult who is on your side. "
            "They help you understand what is happening and speak up for you."
        ),
    ),
    GlossaryEntry(
        term=N_("ICTG"),
        meaning=N_(
            "ICTG is a short name adults use for some advocates. "
            "They are on your side. "
            "They do not work for the police or the Home Office."
        ),
    ),
    GlossaryEntry(
        term=N_("NRM"),
        meaning=N_(
            "NRM means National Referral Mechanism. "
            "It is how the UK finds and helps people who were made to work or do crimes. "
            "Being in the NRM can get you help."
        ),
    ),
    GlossaryEntry(
        term=N_("Home Office"),
        meaning=N_(
            "The part of the UK government that decides who can stay in the UK. "
            "A team there also makes NRM decisions."
        ),
    ),
    GlossaryEntry(
        term=N_("First responder"),
        meaning=N_(
            "An adult who is allowed to send a form about you to the NRM. "
            "It may be the police, your council or a support group."
        ),
    ),
    GlossaryEntry(
        term=N_("Single Competent Authority"),
        meaning=N_(
            "The team in the Home Office that makes NRM decisions. Adults may call it the SCA."
        ),
    ),
    GlossaryEntry(
        term=N_("Reasonable grounds"),
        meaning=N_(
            "The first NRM decision. "
            "It asks: is there a good reason to think that people hurt or used you?"
        ),
    ),
    GlossaryEntry(
        term=N_("Conclusive grounds"),
        meaning=N_(
            "The last NRM decision. "
            "It asks: is it likely that people hurt or used you?"
        ),
    ),
    GlossaryEntry(
        term=N_("Recovery period"),
        meaning=N_(
            "Time to rest and get help after a yes to the first NRM decision. "
            "It lasts at least 30 days. Most often, it lasts until the final decision."
        ),
    ),
    GlossaryEntry(
        term=N_("Council"),
        meaning=N_(
            "The local government where you live. "
            "It looks after children in care. Adults may call it the local authority."
        ),
    ),
    GlossaryEntry(
        term=N_("Looked-after child"),
        meaning=N_("A child that the council looks after. Adults also say 'a child in care'."),
    ),
    GlossaryEntry(
        term=N_("Social worker"),
        meaning=N_(
            "A person from the council. "
            "Their job is to keep you safe and to plan your care with you."
        ),
    ),
    GlossaryEntry(
        term=N_("Foster carer"),
        meaning=N_("A person or a family who looks after you in their own home."),
    ),
    GlossaryEntry(
        term=N_("Placement"),
        meaning=N_(
            "The place where you live when the council looks after you. "
            "It may be a foster home, a children's home or a home with support staff."
        ),
    ),
    GlossaryEntry(
        term=N_("Care plan"),
        meaning=N_(
            "A written plan about how the council looks after you. You can say what you want in it."
        ),
    ),
    GlossaryEntry(
        term=N_("Pathway plan"),
        meaning=N_(
            "A written plan for young people in care, from age 16. "
            "It is about your home, money, school or work, and health."
        ),
    ),
    GlossaryEntry(
        term=N_("Care leaver"),
        meaning=N_(
            "A young person who was in care and is now 18 or older. "
            "Leaving care means moving on to adult life. "
            "Care leavers can get help from the council until they are 25."
        ),
    ),
    GlossaryEntry(
        term=N_("Personal adviser"),
        meaning=N_(
            "A person from the council who helps care leavers plan and keeps in touch. "
            "They can help you until you are 25."
        ),
    ),
    GlossaryEntry(
        term=N_("Age assessment"),
        meaning=N_(
            "A check by two social workers to decide how old you are, when adults are not sure."
        ),
    ),
    GlossaryEntry(
        term=N_("Solicitor"),
        meaning=N_("A lawyer who tells you about the law and works only for you."),
    ),
    GlossaryEntry(
        term=N_("Legal aid"),
        meaning=N_(
            "Money from the government to pay your solicitor, so that you do not have to pay."
        ),
    ),
    GlossaryEntry(
        term=N_("Asylum"),
        meaning=N_(
            "Help from a country for a person who is not safe in their home country. "
            "The person can stay and be safe."
        ),
    ),
    GlossaryEntry(
        term=N_("Leave to remain"),
        meaning=N_(
            "When the Home Office says you can stay in the UK. "
            "It may be for a time, or with no end date."
        ),
    ),
    GlossaryEntry(
        term=N_("Appeal"),
        meaning=N_("When you ask a judge to look again at a decision you think is wrong."),
    ),
    GlossaryEntry(
        term=N_("Interpreter"),
        meaning=N_(
            "A person who tells you in your language what people say, "
            "and tells them in English what you say."
        ),
    ),
    GlossaryEntry(
        term=N_("GP"),
        meaning=N_(
            "A family doctor near where you live. Seeing a GP is free. "
            "Your carer can help you sign up."
        ),
    ),
    GlossaryEntry(
        term=N_("Counsellor"),
        meaning=N_("A person who is trained to listen and to help you with your feelings."),
    ),
    GlossaryEntry(
        term=N_("Witness"),
        meaning=N_(
            "A person who tells the police or a court what they saw, or what happened to them."
        ),
    ),
    GlossaryEntry(
        term=N_("Statement"),
        meaning=N_(
            "What you tell the police or a solicitor, written down or filmed. "
            "You can ask to read it, or to have it read to you."
        ),
    ),
    GlossaryEntry(
        term=N_("Special measures"),
        meaning=N_(
            "Ways to make it easier for a young witness to speak in court. "
            "For example, a screen or a video link."
        ),
    ),
    GlossaryEntry(
        term=N_("Intermediary"),
        meaning=N_(
            "A person who helps a young witness and the court talk to each other. "
            "They make sure you know what the questions mean."
        ),
    ),
    GlossaryEntry(
        term=N_("Appropriate adult"),
        meaning=N_(
            "An adult who must be with you if the police ask you questions about a crime. "
            "This is for young people under 18."
        ),
    ),
    GlossaryEntry(
        term=N_("Witness Service"),
        meaning=N_(
            "People who help witnesses before the trial and on the day. Their help is free."
        ),
    ),
    GlossaryEntry(
        term=N_("Section 45"),
        meaning=N_(
            "Part of a UK law from 2015. "
            "It can protect you if people made you break the law. "
            "It does not cover every crime. Your solicitor can explain it."
        ),
    ),
    GlossaryEntry(
        term=N_("Helpline"),
        meaning=N_(
            "A phone number you can call to talk to someone. "
            "Childline is free, day and night: 0800 1111. "
            "Your advocate can tell you about other helplines."
        ),
    ),
    GlossaryEntry(
        term=N_("Childline"),
        meaning=N_(
            "A free phone line for young people under 19: 0800 1111. "
            "You can call at any time, day or night. "
            "You can talk about anything."
        ),
    ),
)
"""Words adults use, and what they mean, in the order shown."""
