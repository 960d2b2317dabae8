"""Per-language safety lexicons, one JSON file per language (``<lang>.json``).

File format::

    {
      "language": "en",
      "name": "English",
      "rules": [
        {
          "id": "en.danger.outside.1",          # stable: alerts and audit rows refer to it
          "category": "danger_now",              # see safety.lexicon.CATEGORIES
          "severity": "urgent",                  # "urgent" | "concern"
          "gap": 2,                              # optional: default words allowed between terms
          "patterns": ["they|he|men ~3 outside|downstairs"],
          "unless": ["film|movie|game"],         # optional: the rule does not fire
          "soften": ["yesterday|last_year"],     # optional: the rule fires as "concern"
          "note": "why the rule exists"          # optional, for reviewers
        }
      ]
    }

Pattern syntax (see :mod:`safety.lexicon` for the compiler):

* Terms are separated by spaces and must appear in order. Between two terms up to ``gap``
  other words may appear; ``~N`` between two terms sets that gap to ``N`` (``~0``: adjacent).
* ``^`` as the first term and ``$`` as the last tie the pattern to the start or end of the
  message; no words may come before/after unless a ``~N`` is written next to them:
  ``^ help_me|help ~1 $`` is a short cry for help ("help me", "help me please"), not "can you
  help me with my form" nor "thanks for the help".
* A term lists alternatives separated by ``|``.
* An alternative is one word or several joined by ``_`` (``at_the_door``).
* ``word*`` matches any word starting with ``word`` (a stem); ``*word`` any word ending with it
  (Arabic-script and Ge'ez prefixes such as و/ال/ب/ይ); ``*word*`` any word containing it.
* Patterns are normalised exactly like messages (:mod:`safety.normalize`) and by default match
  the diacritic-free *loose* form, so write them with correct spelling and diacritics. A pattern
  starting with ``=`` matches only the *exact* form, for words whose toneless spelling collides
  with an innocent word (Vietnamese).
"""
