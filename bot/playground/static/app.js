// The playground's chat page: talks only to the side API of bot/playground/server.py.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const chatEl = $("chat"), whoEl = $("who"), textEl = $("text"), menuEl = $("menu");
  const replyEl = $("reply-kb"), toastEl = $("toast"), nowEl = $("now");
  const chats = new Map(); // chat id -> {el, last, replyKeyboard, byId: Map(message_id -> el)}
  let state = { people: [], now: "", commands: {} };
  let current = null;
  let poller = null; // {chat, controller}
  let pollFailures = 0;

  // --- sanitizing the bot's Telegram HTML: only b, i, code, pre, a (and their aliases) ---
  const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "DEL", "CODE", "PRE", "A"]);
  function clean(node, out) {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === Node.TEXT_NODE) {
        out.appendChild(document.createTextNode(child.textContent));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        if (ALLOWED.has(child.tagName)) {
          const copy = document.createElement(child.tagName.toLowerCase());
          if (child.tagName === "A") {
            const href = child.getAttribute("href") || "";
            if (/^(https?:|tg:|mailto:|\/files\/)/i.test(href)) {
              copy.setAttribute("href", href);
              copy.setAttribute("target", "_blank");
              copy.setAttribute("rel", "noopener noreferrer");
            }
          }
          clean(child, copy);
          out.appendChild(copy);
        } else if (child.tagName === "BR") {
          out.appendChild(document.createTextNode("\n"));
        } else if (child.tagName !== "SCRIPT" && child.tagName !== "STYLE") {
          clean(child, out); // unknown tags: keep their text only
        }
      }
    }
  }
  function renderHtml(html) {
    const doc = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
    const frag = document.createDocumentFragment();
    clean(doc.body, frag);
    return frag;
  }

  // --- talking to the side API ---
  async function api(path, body) {
    const init = body === undefined ? {} : body instanceof FormData
      ? { method: "POST", body }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const res = await fetch(path, init);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }

  function toast(text, ms) {
    toastEl.textContent = text;
    toastEl.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { toastEl.hidden = true; }, ms || 2500);
  }

  // --- one history per person, kept when switching ---
  function chatFor(id) {
    let c = chats.get(id);
    if (!c) {
      const el = document.createElement("div");
      el.className = "history";
      el.dataset.testid = "history";
      el.dataset.chat = String(id);
      el.hidden = true; // select() shows the chosen one
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "还没有消息。点 ☰ 菜单 或发送 /start 开始。\nNo messages yet: try /start.";
      el.appendChild(empty);
      chatEl.appendChild(el);
      c = { id, el, last: 0, replyKeyboard: null, byId: new Map(), unread: 0 };
      chats.set(id, c);
    }
    return c;
  }

  function fillMessage(box, ev) {
    box.replaceChildren();
    box.className = `msg ${ev.from === "user" ? "user" : "bot"}`;
    box.dataset.testid = "message";
    box.dataset.from = ev.from;
    box.dataset.messageId = ev.message_id == null ? "" : String(ev.message_id);
    box.dataset.edited = ev.edited ? "true" : "false";
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.dataset.testid = "bubble";
    if (ev.photo) {
      const img = document.createElement("img");
      img.className = "photo";
      img.dataset.testid = "photo";
      img.src = ev.photo.url;
      img.alt = "图片 / photo";
      // The chat was brought to its end before the picture had a height: again once it has,
      // if the reader was at the end (a chart is not cut off on a phone).
      img.addEventListener("load", () => {
        if (chatEl.scrollHeight - chatEl.scrollTop - chatEl.clientHeight < img.height + 80) {
          scrollDown();
        }
      });
      bubble.appendChild(img);
    }
    if (ev.document) {
      const a = document.createElement("a");
      a.className = "doc";
      a.dataset.testid = "document";
      a.href = ev.document.url;
      a.setAttribute("download", ev.document.name || "");
      const icon = document.createElement("span");
      icon.className = "icon";
      icon.textContent = "📄";
      const info = document.createElement("span");
      const name = document.createElement("div");
      name.className = "dname";
      name.textContent = ev.document.name || "file";
      const hint = document.createElement("div");
      hint.className = "dhint";
      hint.textContent = "下载 / download";
      info.append(name, hint);
      a.append(icon, info);
      bubble.appendChild(a);
    }
    const text = document.createElement("div");
    text.className = "text";
    text.dataset.testid = "message-text";
    text.appendChild(renderHtml(ev.html));
    bubble.appendChild(text);
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = ev.edited ? "已编辑 edited" : "";
    if (meta.textContent) bubble.appendChild(meta);
    box.appendChild(bubble);
    if (ev.buttons && ev.buttons.length) {
      const kb = document.createElement("div");
      kb.className = "inline-kb";
      kb.dataset.testid = "inline-keyboard";
      for (const row of ev.buttons) {
        const r = document.createElement("div");
        r.className = "inline-row";
        for (const b of row) {
          const btn = document.createElement("button");
          btn.type = "button";
          btn.textContent = b.url ? `${b.text} ↗` : b.text;
          btn.title = b.url || b.text;
          btn.dataset.testid = "inline-button";
          btn.dataset.data = b.data || "";
          if (b.url && /^https?:/i.test(b.url)) {
            btn.addEventListener("click", () => window.open(b.url, "_blank", "noopener"));
          } else {
            btn.addEventListener("click", () => press(ev.message_id, b.data, btn));
          }
          r.appendChild(btn);
        }
        kb.appendChild(r);
      }
      box.appendChild(kb);
    }
  }

  function addEvent(c, ev) {
    if (ev.seq && ev.seq <= c.last) return; // seen already (a catch-up and a poll may overlap)
    c.last = Math.max(c.last, ev.seq || 0);
    if (c !== current && ev.from === "bot" && !ev.edited && ev.message_id != null) {
      c.unread += 1;
      markUnread(c);
    }
    if (ev.alert) {
      if (c === current) toast(ev.alert);
      if (ev.message_id == null) return;
    }
    if (ev.message_id == null && !ev.html && !ev.document && !ev.photo) return;
    const empty = c.el.querySelector(".empty");
    if (empty) empty.remove();
    const key = `${ev.from}:${ev.message_id}`;
    let box = ev.message_id == null ? null : c.byId.get(key);
    if (!box) {
      box = document.createElement("div");
      c.el.appendChild(box);
      if (ev.message_id != null) c.byId.set(key, box);
    }
    fillMessage(box, ev); // an edit replaces the message in place
    if (ev.reply_keyboard) c.replyKeyboard = ev.reply_keyboard;
  }

  function showReplyKeyboard() {
    const rows = current && current.replyKeyboard;
    replyEl.replaceChildren();
    replyEl.hidden = !rows || !rows.length;
    if (replyEl.hidden) return;
    for (const row of rows) {
      const r = document.createElement("div");
      r.className = "reply-row";
      for (const label of row) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = label;
        btn.dataset.testid = "reply-button";
        btn.addEventListener("click", () => {
          current.replyKeyboard = null;
          showReplyKeyboard();
          send(label);
        });
        r.appendChild(btn);
      }
      replyEl.appendChild(r);
    }
  }

  function scrollDown() { chatEl.scrollTop = chatEl.scrollHeight; }

  // --- long polling the selected chat only (a browser allows few connections per host) ---
  async function poll(c, controller) {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(`/api/messages?chat=${c.id}&after=${c.last}&wait=25`,
          { signal: controller.signal });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const data = await res.json();
        pollFailures = 0;
        $("status").textContent = "本地演示 · local demo";
        const events = data.events || [];
        for (const ev of events) addEvent(c, ev);
        if (events.length && c === current) {
          showReplyKeyboard();
          scrollDown(); // like Telegram: a new message brings the chat to its end
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        pollFailures += 1;
        $("status").textContent = "连接中断，重试中… / reconnecting";
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * pollFailures)));
      }
    }
  }

  // The switcher shows how many new messages the others have (a push reaches several people).
  function markUnread(c) {
    const opt = whoEl.querySelector(`option[value="${c.id}"]`);
    if (!opt) return;
    const person = state.people.find((p) => p.id === c.id);
    const label = person ? person.label || person.name : String(c.id);
    opt.textContent = c.unread ? `${label} (${c.unread})` : label;
    opt.dataset.unread = String(c.unread);
  }
  async function catchUp() {
    for (const p of state.people) {
      if (current && p.id === current.id) continue;
      const c = chatFor(p.id);
      try {
        const data = await api(`/api/messages?chat=${c.id}&after=${c.last}&wait=0`);
        for (const ev of data.events || []) addEvent(c, ev);
      } catch (err) { /* the long poll reports trouble */ }
    }
  }

  function select(id) {
    if (poller) poller.controller.abort();
    current = chatFor(id);
    current.unread = 0;
    markUnread(current);
    for (const c of chats.values()) c.el.hidden = c !== current;
    whoEl.value = String(id);
    document.body.dataset.chat = String(id);
    try { localStorage.setItem("playground.who", String(id)); } catch (e) { /* private mode */ }
    menuEl.hidden = true;
    toastEl.hidden = true;
    showReplyKeyboard();
    renderMenu();
    scrollDown();
    const controller = new AbortController();
    poller = { chat: id, controller };
    poll(current, controller);
  }

  // --- sending ---
  async function send(text) {
    if (!current || !text.trim()) return;
    try {
      await api("/api/send", { chat: current.id, text });
    } catch (err) {
      toast(`发送失败 / not sent: ${err.message}`);
    }
  }
  async function press(messageId, data, btn) {
    btn.disabled = true;
    try {
      await api("/api/press", { chat: current.id, message_id: messageId, data });
    } catch (err) {
      toast(`按钮失败 / press failed: ${err.message}`);
    } finally {
      setTimeout(() => { btn.disabled = false; }, 600);
    }
  }

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = textEl.value;
    textEl.value = "";
    menuEl.hidden = true;
    send(text);
  });

  $("file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file || !current) return;
    const form = new FormData();
    form.append("chat", String(current.id));
    form.append("file", file, file.name);
    e.target.value = "";
    try {
      await api("/api/upload", form);
    } catch (err) {
      toast(`上传失败 / upload failed: ${err.message}`);
    }
  });

  // --- the command menu (setMyCommands of this chat, else the default list) ---
  function renderMenu() {
    menuEl.replaceChildren();
    const list = (current && state.commands[String(current.id)]) || state.commands.default || [];
    if (!list.length) {
      const none = document.createElement("div");
      none.className = "none";
      none.textContent = "没有命令 / no commands";
      menuEl.appendChild(none);
    }
    for (const cmd of list) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.dataset.testid = "command";
      btn.dataset.command = cmd.command;
      const name = document.createElement("span");
      name.className = "cmd";
      name.textContent = `/${cmd.command}`;
      const desc = document.createElement("span");
      desc.className = "desc";
      desc.textContent = cmd.description || "";
      btn.append(name, desc);
      btn.addEventListener("click", () => {
        menuEl.hidden = true;
        send(`/${cmd.command}`);
      });
      menuEl.appendChild(btn);
    }
  }
  $("menu-button").addEventListener("click", async () => {
    if (menuEl.hidden) {
      await refreshState(); // commands change when a user is bound or promoted
      renderMenu();
    }
    menuEl.hidden = !menuEl.hidden;
  });
  document.addEventListener("click", (e) => {
    if (!menuEl.hidden && !menuEl.contains(e.target) && e.target !== $("menu-button")) {
      menuEl.hidden = true;
    }
  });

  // --- the demo controls ---
  function showNow() {
    nowEl.textContent = state.now || "?";
    const input = $("clock-input");
    if (state.now && document.activeElement !== input) input.value = state.now.replace(" ", "T").slice(0, 16);
  }
  async function refreshState() {
    try {
      state = await api("/api/state");
      showNow();
    } catch (err) {
      $("status").textContent = "服务器无响应 / server not answering";
    }
  }
  $("clock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = $("clock-input").value;
    if (!value) return;
    try {
      await api("/api/clock", { time: value.replace("T", " ").slice(0, 16) });
      await refreshState();
      toast(`机器人时间 / bot clock: ${state.now}`);
    } catch (err) {
      toast(`设定失败 / clock not set: ${err.message}`);
    }
  });
  $("push").addEventListener("click", async () => {
    try {
      const res = await api("/api/push", {});
      toast(`推送检查完成，发出 ${res.sent ?? 0} 条 / push check: ${res.sent ?? 0} sent`);
      setTimeout(catchUp, 300);
    } catch (err) {
      toast(`推送检查失败 / push check failed: ${err.message}`);
    }
  });
  $("reset").addEventListener("click", async () => {
    if (!window.confirm("重置演示？所有聊天和填报将清空，回到演示数据。\nReset the demo to its data?")) return;
    try {
      if (poller) poller.controller.abort();
      await api("/api/reset", {});
      for (const c of chats.values()) c.el.remove();
      chats.clear();
      await refreshState();
      select(current ? current.id : state.people[0].id);
      toast("已重置 / demo reset");
    } catch (err) {
      toast(`重置失败 / reset failed: ${err.message}`);
    }
  });

  whoEl.addEventListener("change", () => select(Number(whoEl.value)));

  async function start() {
    await refreshState();
    whoEl.replaceChildren();
    for (const p of state.people) {
      const opt = document.createElement("option");
      opt.value = String(p.id);
      opt.textContent = p.label || p.name;
      opt.dataset.name = p.name;
      whoEl.appendChild(opt);
    }
    let saved = null;
    try { saved = Number(localStorage.getItem("playground.who")); } catch (e) { /* none */ }
    const ids = state.people.map((p) => p.id);
    select(ids.includes(saved) ? saved : ids[0]);
    setInterval(refreshState, 30000);
    setInterval(catchUp, 3000);
    document.body.dataset.ready = "true";
  }
  start();
})();
