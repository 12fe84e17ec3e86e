// The chat page. Every reply is inserted as text (textContent), never as HTML.
// The conversation is tied to this browser session by an HttpOnly cookie the
// server issues; the page never chooses or sees a sender id.
"use strict";

(function () {
  var log = document.getElementById("messages");
  var form = document.getElementById("composer");
  var box = document.getElementById("message");
  var send = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var errorBox = document.getElementById("error");
  var errorText = document.getElementById("error-text");
  var busy = false;

  function paragraphs(parent, text, sourceClass) {
    String(text || "").split(/\n+/).forEach(function (line) {
      if (!line.trim()) { return; }
      var p = document.createElement("p");
      if (sourceClass && /^Source: /.test(line)) { p.className = sourceClass; }
      p.textContent = line;
      parent.appendChild(p);
    });
  }

  function retireButtons() {
    log.querySelectorAll(".msp-replies button").forEach(function (button) { button.disabled = true; });
  }

  function addMessage(who, text, buttons) {
    var item = document.createElement("li");
    item.className = "msp-message msp-message--" + who;
    var label = document.createElement("p");
    label.className = "msp-message__who";
    label.textContent = who === "user" ? "You said:" : "Assistant said:";
    item.appendChild(label);
    var body = document.createElement("div");
    body.className = "msp-message__text";
    paragraphs(body, text, who === "bot" ? "msp-message__source" : null);
    item.appendChild(body);
    if (buttons && buttons.length) {
      var group = document.createElement("div");
      group.className = "msp-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      buttons.forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "govuk-button govuk-button--secondary";
        button.textContent = String(choice.title || choice.payload || "");
        button.addEventListener("click", function () {
          if (!busy) { post(String(choice.payload || ""), button.textContent, true); }
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    item.scrollIntoView({block: "end"});
    return item;
  }

  function showError(message) {
    errorText.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.hidden = true;
    errorText.textContent = "";
  }

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    send.setAttribute("aria-disabled", on ? "true" : "false");
    statusLine.textContent = on ? "The assistant is replying…" : "";
  }

  function post(message, shown, fromButton) {
    clearError();
    setBusy(true);
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 60000) : null;
    fetch("webhook", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Requested-With": "msp-web-chat"},
      body: JSON.stringify({message: message}),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var reason = data && data.error ? data.error : "The assistant had a problem (" + response.status + ").";
          throw new Error(reason);
        }
        return data;
      });
    }).then(function (replies) {
      retireButtons();
      addMessage("user", shown);
      if (!fromButton) { box.value = ""; }
      (Array.isArray(replies) ? replies : []).forEach(function (reply) {
        if (reply.text || (reply.buttons && reply.buttons.length)) {
          addMessage("bot", reply.text || "", reply.buttons || []);
        }
      });
      if (!Array.isArray(replies) || !replies.length) {
        addMessage("bot", "(The assistant gave no reply. Please try again, or rephrase.)", []);
      }
    }).catch(function (error) {
      var offline = error && (error.name === "AbortError" || error instanceof TypeError);
      showError(offline
        ? "The assistant can't be reached just now. Your message is still in the box: try Send again in a moment."
        : String(error.message || error) + " Your message is still in the box.");
      if (fromButton && !box.value) { box.value = message.charAt(0) === "/" ? "" : message; }
    }).then(function () {
      if (timer) { clearTimeout(timer); }
      setBusy(false);
      box.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value.trim();
    if (busy) { return; }
    if (!text) {
      showError("Type a message first.");
      box.focus();
      return;
    }
    post(text, text, false);
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", {cancelable: true}));
    }
  });

  // The conversation so far in this browser session (after a reload).
  fetch("history", {credentials: "same-origin", headers: {"X-Requested-With": "msp-web-chat"}})
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(function (turns) {
      (Array.isArray(turns) ? turns : []).forEach(function (turn) {
        addMessage(turn.who === "user" ? "user" : "bot", turn.text || "", turn.buttons || []);
      });
      retireButtons();
      if (log.lastElementChild && turns[turns.length - 1].who === "bot") {
        log.lastElementChild.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      }
    })
    .catch(function () { /* a fresh page: nothing to show */ });
})();
