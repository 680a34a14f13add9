// The screens around the game: login, character select, the message box,
// the connection line and the "disconnected" banner. Each class owns its
// part of index.html and sends packets only through the `send` it is given.

import * as protocol from "./protocol.js";

const $ = (id) => document.getElementById(id);
const NOTICE_MS = 6000;

/** Show one of the screens (login, select, game) and hide the others. */
export function showScreen(name) {
  for (const screen of ["login", "select", "game"]) $(`screen-${screen}`).hidden = screen !== name;
  document.body.dataset.screen = name; // for the tests and for styling
}

export const currentScreen = () => document.body.dataset.screen ?? "";

export class LoginScreen {
  constructor(send) {
    this.send = send;
    this.form = $("login-form");
    this.credentials = null; // kept in memory only, to log in again after a reconnect
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(protocol.login);
    });
    $("register-button").addEventListener("click", () => this.submit(protocol.createAccount));
  }

  submit(build) {
    if (!this.form.reportValidity()) return;
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    this.credentials = { email, password };
    if (this.send(build(email, password))) this.message("Please wait…");
    else this.message("Not connected to the server yet.");
  }

  message(text) {
    $("login-message").textContent = text;
  }

  show(message) {
    showScreen("login");
    this.message(message);
    const email = $("login-email");
    (email.value ? $("login-password") : email).focus();
  }

  /** After a reconnect: log in again with what this page was given, if anything. */
  loginAgain() {
    if (!this.credentials) return false;
    const { email, password } = this.credentials;
    return this.send(protocol.login(email, password));
  }
}

export class SelectScreen {
  constructor(send, state) {
    this.send = send;
    this.state = state;
    $("create-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
  }

  show(message) {
    const wasShown = currentScreen() === "select";
    showScreen("select");
    $("select-message").textContent = message;
    this.render();
    if (!wasShown) (document.querySelector("#character-slots .play") ?? $("create-name")).focus();
  }

  create() {
    const gender = Number(document.querySelector('input[name="gender"]:checked')?.value ?? 0);
    const professionId = Number($("create-profession").value);
    this.send(protocol.createCharacter($("create-name").value.trim(), professionId, gender));
  }

  render() {
    this.renderProfessions();
    const players = this.state.account?.players ?? [];
    const list = $("character-slots");
    list.replaceChildren(...players.slice(0, protocol.CHARACTER_SLOTS).map((p, slot) => this.slotItem(p, slot)));
    $("create-form").hidden = players.length > 0 && players.every((p) => p.name);
  }

  renderProfessions() {
    const select = $("create-profession");
    const chosen = select.value;
    const options = this.state.resources.profession.map((profession, id) =>
      new Option(profession?.name || `Profession ${id}`, String(id)));
    select.replaceChildren(...options);
    if (chosen && Number(chosen) < options.length) select.value = chosen;
  }

  slotItem(player, slot) {
    const item = document.createElement("li");
    if (!player.name) {
      item.innerHTML = `<span class="empty">Slot ${slot + 1}: empty</span>`;
      return item;
    }
    const profession = this.state.resources.profession[player.profession_id]?.name ?? "";
    const name = document.createElement("span");
    name.className = "slot-name";
    name.textContent = player.name;
    const detail = document.createElement("span");
    detail.className = "muted";
    detail.textContent = `Level ${player.level ?? 1} ${profession}`.trim();
    const play = button(`Play`, () => this.send(protocol.enterGame(slot)), `Play ${player.name}`);
    play.classList.add("play");
    const remove = confirmingButton("Delete", `Delete ${player.name}`,
      () => this.send(protocol.deleteCharacter(slot)));
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    buttons.append(play, remove);
    item.append(name, detail, buttons);
    return item;
  }
}

/** A button with an accessible name that may say more than its text. */
export function button(text, onClick, label) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  if (label) element.setAttribute("aria-label", label);
  element.addEventListener("click", onClick);
  return element;
}

/** A button that acts only when pressed twice: the server deletes without asking. */
function confirmingButton(text, label, onConfirm) {
  const element = button(text, () => {
    if (element.classList.contains("armed")) {
      onConfirm();
      return;
    }
    element.classList.add("armed");
    element.textContent = "Really delete?";
    element.setAttribute("aria-label", `Really ${label.toLowerCase()}? Press again to confirm`);
    setTimeout(() => {
      element.classList.remove("armed");
      element.textContent = text;
      element.setAttribute("aria-label", label);
    }, 4000);
  }, label);
  element.classList.add("danger");
  return element;
}

/** The message box (winMessage, winRecycle, winRepair …): it never takes the focus away. */
export class Notice {
  constructor() {
    this.box = $("notice");
    this.timer = null;
    $("notice-close").addEventListener("click", () => this.hide());
  }

  show(text) {
    if (!text) return;
    $("notice-text").textContent = text;
    $("notice-text").title = text; // the top bar may cut a long one short
    this.box.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), NOTICE_MS);
  }

  hide() {
    this.box.hidden = true;
  }
}

/** The connection line in the top bar and the banner shown while the connection is down. */
export class ConnectionStatus {
  constructor(onReconnect) {
    this.banner = $("disconnected");
    this.countdown = null;
    $("reconnect").addEventListener("click", onReconnect);
  }

  connecting() {
    this.line("Connecting…", "");
  }

  online() {
    clearInterval(this.countdown);
    this.banner.hidden = true;
    this.line("Connected", "online");
  }

  offline(retryAt) {
    const wasShown = !this.banner.hidden;
    this.banner.hidden = false;
    this.line("Disconnected", "offline");
    clearInterval(this.countdown);
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      $("disconnected-detail").textContent = retryAt === null ? "" : `Trying again in ${seconds} s.`;
    };
    tick();
    if (retryAt !== null) this.countdown = setInterval(tick, 500);
    if (!wasShown) $("reconnect").focus();
  }

  line(text, kind) {
    const element = $("connection");
    element.textContent = text;
    element.className = `connection ${kind}`;
  }
}
