// The web client's entry point: it wires the connection, the state, the
// screens, the panels, the view and the keyboard together, and turns the
// server's window switches (100 `win`) into screens and dialogs.

import { Connection, defaultServerUrl } from "./net.js";
import { applyPacket, createState, me } from "./state.js";
import { EDITORS, SOUND_NAMES } from "./protocol.js";
import { GameView } from "./view.js";
import { Keyboard } from "./input.js";
import { ConnectionStatus, LoginScreen, Notice, SelectScreen, currentScreen, showScreen } from "./ui.js";
import { CharacterPanel, ChatPanel, InventoryPanel, ShopPanel } from "./panels.js";
import { RecordEditor, ScriptEditor } from "./editors.js";

const $ = (id) => document.getElementById(id);

// One state object for the page's life: a new connection resets it in place,
// so every part below keeps the same reference.
const state = createState();
const connection = new Connection(defaultServerUrl(window.location), {
  onPacket: received, onOpen: connected, onClose: disconnected,
});
const send = (packet) => connection.send(packet);

const board = $("board");
const status = new ConnectionStatus(() => { status.connecting(); connection.connect(); });
const notice = new Notice();
const login = new LoginScreen(send);
const select = new SelectScreen(send, state);
const chat = new ChatPanel(send, board);
const character = new CharacterPanel(send);
const inventory = new InventoryPanel(send, state);
const shop = new ShopPanel(send, inventory);
const recordEditor = new RecordEditor(send, state);
const scriptEditor = new ScriptEditor(send);
new GameView(board, state);
new Keyboard({
  state, send, gameTarget: board, focusChat: () => chat.focus(),
  isPlaying: () => currentScreen() === "game" && !document.querySelector("dialog[open]"),
});

// --- the connection ----------------------------------------------------------------

let everConnected = false;

function connected() {
  status.online();
  Object.assign(state, createState()); // the server forgets a socket's session when it closes
  chat.clear();
  if (login.loginAgain()) {
    login.show("Connected again: logging you in…");
  } else {
    login.show(everConnected ? "Connected again. Please log in." : "");
  }
  everConnected = true;
}

function disconnected({ retryAt }) {
  closeEditors();
  status.offline(retryAt);
}

function received(packet) {
  try {
    if (packet.type === 100) showWindow(packet);
    else applyPacket(state, packet, performance.now());
  } catch (error) {
    console.error("could not apply packet", packet.type, error); // one odd packet must not stop the client
  }
  refresh();
}

// --- windows (PROTOCOL 3, "Window names") ----------------------------------------------

const DEFAULT_MESSAGES = { winRecycle: "Sold.", winRepair: "Repaired." };

function showWindow({ win, message }) {
  if (win === "winLogin") {
    closeEditors();
    login.show(message);
  } else if (win === "winSelectPlayer") {
    closeEditors();
    select.show(message);
  } else if (win === "winGame") {
    enterGame(message);
  } else if (win === "winScriptEditor") {
    scriptEditor.open();
    notice.show(message);
  } else if (win in EDITORS) {
    recordEditor.open(win);
    notice.show(message);
  } else {
    notice.show(message || DEFAULT_MESSAGES[win] || ""); // winMessage, winRecycle, winRepair
  }
}

/** winGame: the game screen; it also closes the editors. */
function enterGame(message) {
  closeEditors();
  if (currentScreen() !== "game") {
    notice.hide(); // "You have logged in" and the like are old news in the game
    showScreen("game");
    board.focus();
  }
  notice.show(message);
}

function closeEditors() {
  recordEditor.close();
  scriptEditor.close();
}

// --- redrawing the panels that a packet changed ---------------------------------------

function refresh() {
  const changed = state.changed;
  if (changed.has("chat")) chat.render(state);
  if (changed.has("self")) character.render(state);
  if (changed.has("inventory") || changed.has("item")) inventory.render();
  if (changed.has("map") || changed.has("shop") || changed.has("item")) {
    shop.render(state);
    showWhere();
  }
  if ((changed.has("account") || changed.has("profession")) && currentScreen() === "select") select.render();
  if (changed.has("audio")) showAudio();
  if (changed.has("script")) scriptEditor.fill(state.script);
  changed.clear();
}

function showWhere() {
  const map = state.map;
  $("where").textContent = map ? `${map.name || "Unnamed map"} (map ${state.mapId})` : "";
}

const SOUND_NOTE_MS = 2500;
let soundNoteTimer = null;

/** Sounds and music are not played (there are no sound files): a small note says what would play. */
function showAudio() {
  const { music, sound } = state.audio;
  const parts = [];
  if (music !== null && music > -1) parts.push(`♪ music ${music}`);
  if (sound) parts.push(`sound: ${SOUND_NAMES[sound.id] ?? sound.id}`);
  $("audio-note").textContent = parts.join(" · ");
  clearTimeout(soundNoteTimer);
  if (sound) {
    soundNoteTimer = setTimeout(() => {
      state.audio.sound = null;
      showAudio();
    }, SOUND_NOTE_MS);
  }
}

// --- for tests and the curious: the client's view of the game ------------------------

window.odyssey = {
  state,
  send,
  get players() { return state.players; },
  get myId() { return state.myId; },
  get me() { return me(state); },
  get mapId() { return state.mapId; },
  get screen() { return currentScreen(); },
  get connected() { return connection.isOpen; },
};

showScreen("login");
status.connecting();
connection.connect();
