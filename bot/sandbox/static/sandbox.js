// The sandbox page: draws the phones from the server's state and sends what people do.
// Everything shown is set as text (textContent), never as HTML: the bot's words and the
// people's are data here, whatever they contain.
"use strict";

const MEDIA = { photo: "🖼️", voice: "🎤", video: "🎬", document: "📄", audio: "🎵", animation: "🎞️", other: "📎" };
const phones = {};
let drawn = { scenarios: "", narration: "" };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  if (!response.ok) {
    let why = `${response.status}`;
    try { why = (await response.json()).error || why; } catch (_) { /* not JSON */ }
    throw new Error(why);
  }
}

function setStatus(text, kind) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.dataset.kind = kind || "";
}

// Text with Telegram's entities: each run of characters gets the classes of the entities over
// it. Offsets are in UTF-16 units, as JavaScript strings are.
function richText(text, entities) {
  const fragment = document.createDocumentFragment();
  const cuts = new Set([0, text.length]);
  for (const e of entities) { cuts.add(e.offset); cuts.add(e.offset + e.length); }
  const points = [...cuts].filter((n) => n >= 0 && n <= text.length).sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const [start, end] = [points[i], points[i + 1]];
    const types = entities.filter((e) => e.offset <= start && e.offset + e.length >= end).map((e) => e.type);
    const piece = text.slice(start, end);
    if (!types.length) { fragment.append(piece); continue; }
    const span = el("span", types.map((t) => `e-${t}`).join(" "), piece);
    if (types.includes("spoiler")) span.addEventListener("click", () => span.classList.add("shown"));
    fragment.append(span);
  }
  return fragment;
}

function messageItem(phone, message) {
  const item = el("li", `message ${message.mine ? "mine" : "theirs"}`);
  item.dataset.id = message.id;
  if (message.reply) item.append(el("div", "reply-quote", message.reply.text || "…"));
  if (message.kind !== "text") {
    const media = el("div", "media");
    media.dataset.kind = message.kind;
    const label = message.kind === "sticker" ? (message.emoji || "🙂") : (MEDIA[message.kind] || MEDIA.other);
    media.append(el("span", "media-icon", label));
    if (message.file_name) media.append(el("span", "file-name", message.file_name));
    item.append(media);
  }
  if (message.text) {
    const body = el("div", "body");
    body.dir = "auto";
    body.append(richText(message.text, message.entities));
    item.append(body);
  }
  const meta = el("div", "meta");
  if (message.protected) meta.append(el("span", "protected", "🔒"));
  if (message.edited) meta.append(el("span", "edited", "edited"));
  meta.append(el("span", "time", message.time));
  const reply = el("button", "reply-button", "↩");
  reply.type = "button";
  reply.title = "Reply to this message";
  reply.addEventListener("click", () => startReply(phone, message));
  meta.append(reply);
  item.append(meta);
  for (const row of message.buttons) {
    const line = el("div", "buttons");
    for (const cell of row) {
      const button = el("button", "inline", cell.text);
      button.type = "button";
      if (cell.url) button.title = `A link (${cell.url}): links do not open in the sandbox`;
      button.addEventListener("click", () => pressInline(phone, message, cell));
      line.append(button);
    }
    item.append(line);
  }
  return item;
}

function startReply(phone, message) {
  phone.replyTo = message.id;
  phone.replying.hidden = false;
  phone.replying.querySelector(".quote").textContent = message.text || MEDIA[message.kind] || "…";
  phone.input.focus();
}

function stopReply(phone) {
  phone.replyTo = null;
  phone.replying.hidden = true;
}

async function act(phone, what, body) {
  try {
    await post(`/api/phones/${phone.role}/${what}`, body);
    return true;
  } catch (error) {
    notice(phone, error.message, true);
    return false;
  }
}

function pressInline(phone, message, cell) {
  if (cell.data === undefined) {
    notice(phone, `Links do not open in the sandbox: ${cell.url || "this button does nothing here"}`, true);
    return;
  }
  act(phone, "press", { message_id: message.id, data: cell.data });
}

// A toast over the chat: the bot's answer to a button press, or (marked) a note from the
// sandbox itself, which is for whoever practises and is never part of the chat.
function notice(phone, text, fromSandbox) {
  phone.notice.textContent = text;
  phone.notice.classList.toggle("sandbox-note", Boolean(fromSandbox));
  phone.notice.hidden = false;
  clearTimeout(phone.noticeTimer);
  phone.noticeTimer = setTimeout(() => { phone.notice.hidden = true; }, 5000);
}

function makePhone(role) {
  const node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
  node.dataset.role = role;
  const phone = {
    role, node, replyTo: null, drawn: "", notices: -1, atEnd: true,
    chat: node.querySelector(".chat"),
    keyboard: node.querySelector(".keyboard"),
    input: node.querySelector(".text"),
    replying: node.querySelector(".replying"),
    notice: node.querySelector(".notice"),
    language: node.querySelector(".language"),
  };
  node.querySelector(".compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = phone.input.value;
    if (!text.trim()) return;
    if (await act(phone, "say", { text, reply_to: phone.replyTo })) {
      phone.input.value = "";
      stopReply(phone);
    }
  });
  node.querySelector(".cancel-reply").addEventListener("click", () => stopReply(phone));
  // Whoever scrolls back to read stays where they are; at the end, new messages come into view.
  phone.chat.addEventListener("scroll", () => {
    phone.atEnd = phone.chat.scrollHeight - phone.chat.scrollTop - phone.chat.clientHeight < 40;
  });
  const menu = node.querySelector(".attach-menu");
  node.querySelector(".attach").addEventListener("click", () => { menu.hidden = !menu.hidden; });
  for (const button of menu.querySelectorAll("button")) {
    button.addEventListener("click", async () => {
      menu.hidden = true;
      const caption = phone.input.value;
      if (await act(phone, "send", { kind: button.dataset.kind, caption: caption || null })) phone.input.value = "";
    });
  }
  phone.language.addEventListener("change", async () => {
    if (await act(phone, "language", { code: phone.language.value })) {
      notice(phone, "Phone language changed. The bot keeps the language it already knows for this person until you start again, or until it is changed in the chat (/language).", true);
    }
  });
  document.getElementById("phones").append(node);
  phones[role] = phone;
  return phone;
}

function drawPhone(phone, shown, languages) {
  phone.node.querySelector(".role").textContent = shown.title;
  phone.node.querySelector(".name").textContent = shown.name;
  if (phone.language.options.length !== languages.length) {
    phone.language.replaceChildren(...languages.map((l) => { const o = el("option", "", `${l.name} (${l.code})`); o.value = l.code; return o; }));
  }
  phone.language.value = shown.language;
  const key = JSON.stringify([shown.messages, shown.keyboard]);
  if (key !== phone.drawn) {
    phone.drawn = key;
    const items = [];
    let day = null;
    for (const message of shown.messages) {
      if (message.day !== day) { day = message.day; items.push(el("li", "day", day)); }
      items.push(messageItem(phone, message));
    }
    phone.chat.replaceChildren(...items);
    if (phone.replyTo !== null && !shown.messages.some((m) => m.id === phone.replyTo)) stopReply(phone);
    phone.keyboard.replaceChildren(...(shown.keyboard || []).map((row) => {
      const line = el("div", "keyboard-row");
      for (const label of row) {
        const key = el("button", "key", label);
        key.type = "button";
        key.addEventListener("click", () => act(phone, "say", { text: label }));
        line.append(key);
      }
      return line;
    }));
    // Last, once the keyboard has taken its room: a chat read to its end stays at its end.
    if (phone.atEnd) phone.chat.scrollTop = phone.chat.scrollHeight;
  }
  for (const said of shown.notices) {
    if (said.n > phone.notices) { phone.notices = said.n; notice(phone, said.text); }
  }
}

function drawScenarios(scenarios) {
  const key = JSON.stringify(scenarios);
  if (key === drawn.scenarios) return;
  drawn.scenarios = key;
  document.getElementById("scenarios").replaceChildren(...scenarios.map((s) => {
    const button = el("button", "scenario", s.title);
    button.type = "button";
    button.title = s.about;
    button.dataset.key = s.key;
    button.addEventListener("click", () => post(`/api/scenarios/${s.key}`).catch((e) => setStatus(e.message, "error")));
    return button;
  }));
}

function draw(state) {
  drawScenarios(state.scenarios);
  const { loading, playing, error } = state.status;
  document.body.classList.toggle("loading", Boolean(loading));
  if (error) setStatus(`Could not finish: ${error}`, "error");
  else if (loading) setStatus(`Loading “${loading}”: starting a fresh bot…`, "busy");
  else if (playing) setStatus(`Playing “${playing}”: watch the phones; your turn comes when it ends.`, "busy");
  else if (state.bot === "stopped") setStatus("The bot has stopped. Start again with a scenario.", "error");
  else if (state.phones) setStatus("Your turn: write on any phone, press its buttons, or move the clock.", "ready");
  if (state.clock) {
    document.getElementById("clock-now").textContent = `${state.clock.now} (${state.clock.zone})`;
    document.getElementById("clock-ahead").textContent = state.clock.ahead;
  }
  for (const shown of state.phones || []) drawPhone(phones[shown.role] || makePhone(shown.role), shown, state.languages);
  const story = (state.narration || []).join("\n");
  if (story !== drawn.narration) {
    drawn.narration = story;
    const pre = document.getElementById("narration");
    pre.textContent = story;
    pre.scrollTop = pre.scrollHeight;
  }
}

function start() {
  for (const button of document.querySelectorAll(".clock-buttons button")) {
    button.addEventListener("click", () => post("/api/clock", { minutes: Number(button.dataset.minutes) }).catch((e) => setStatus(e.message, "error")));
  }
  const events = new EventSource("/api/events");
  events.onmessage = (event) => draw(JSON.parse(event.data));
  events.onerror = () => setStatus("Lost the sandbox: is it still running? Trying again…", "error");
}

start();
