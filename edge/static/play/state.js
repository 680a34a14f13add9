// What the client knows of the game, and how each server packet (PROTOCOL 3)
// changes it. No DOM and no socket here: `applyPacket(state, packet, now)` is
// a plain function, and the view and the panels only read the state.
//
// Entities keep their logical tile in x, y (where they are, or are walking
// to) and a `motion` describing the walk from the previous tile, so the view
// can slide them smoothly at the packet's speed.

import { MAP_SIZE, STEPS } from "./protocol.js";

export const TEXT_MS = 1200; // floating texts rise and fade over this
export const CHAT_LINES_KEPT = 200;
const DEFAULT_STEP_MS = 250; // when a packet's `speed` is not a plausible time in ms

export function createState() {
  return {
    myId: null, // the session's pID: 101 account_id and 109 player_id (PROTOCOL 0.2)
    account: null,
    resources: { profession: [], item: [], npc: [], shop: [], quest: [] },
    self: null, // the own character record (109), kept current by 119, 120, 137
    mapId: null,
    map: null,
    players: {}, // pid → {id, name, color, sprite, access, vitals, max_vitals, x, y, dir, motion}
    npcs: [],
    items: [],
    doors: [],
    shots: [],
    texts: [],
    effects: [],
    chat: [],
    chatSerial: 0,
    audio: { music: null, sound: null },
    script: null,
    changed: new Set(), // names of the panels to redraw: account, self, inventory, shop, chat, ...
  };
}

// --- motion ------------------------------------------------------------------------

/** A packet's `speed` as a step duration: its value when it reads like milliseconds. */
export function stepDuration(speed) {
  return typeof speed === "number" && speed >= 40 && speed <= 3000 ? speed : DEFAULT_STEP_MS;
}

/** Put `entity` on (toX, toY), sliding there from (fromX, fromY) over `ms`. */
function startMove(entity, fromX, fromY, toX, toY, ms, now) {
  entity.motion = { fromX, fromY, startedAt: now, durationMs: ms };
  entity.x = toX;
  entity.y = toY;
}

/**
 * A step from the entity's own tile to (toX, toY). It starts where the entity
 * is drawn now, so a step that arrives before the last one finished sliding
 * continues from there instead of jumping back.
 */
export function stepTo(entity, toX, toY, ms, now) {
  const from = drawnPosition(entity, now);
  startMove(entity, from.x, from.y, toX, toY, ms, now);
}

/** Put `entity` on a tile at once (a spawn, a resync or a turn). */
export function place(entity, x, y) {
  entity.x = x;
  entity.y = y;
  entity.motion = null;
}

/** Where to draw `entity` now, in fractional tiles. */
export function drawnPosition(entity, now) {
  const motion = entity.motion;
  if (!motion) return { x: entity.x, y: entity.y };
  const t = Math.min(1, (now - motion.startedAt) / motion.durationMs);
  if (t >= 1) {
    entity.motion = null;
    return { x: entity.x, y: entity.y };
  }
  return { x: motion.fromX + (entity.x - motion.fromX) * t, y: motion.fromY + (entity.y - motion.fromY) * t };
}

export const inMap = (x, y) => x >= 0 && y >= 0 && x < MAP_SIZE && y < MAP_SIZE;

// --- walkability, to predict the own steps (the server decides: PROTOCOL 5.1.3) -----

const PLAYER_WALKABLE = new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17]);

export function doorOpenAt(state, x, y) {
  return state.doors.some((door) => door.x === x && door.y === y);
}

/** True when the own character may probably enter (x, y); a wrong guess is bounced by a 110. */
export function mayEnter(state, x, y) {
  if (!state.map || !inMap(x, y)) return false;
  if ((state.self?.access ?? 0) > 2 || doorOpenAt(state, x, y)) return true;
  const tile = state.map.tiles?.[x]?.[y];
  if (!tile) return true;
  if (tile.type === 15) return !tile.data?.blocked;
  return PLAYER_WALKABLE.has(tile.type);
}

export const me = (state) => (state.myId === null ? undefined : state.players[state.myId]);

// --- packets -------------------------------------------------------------------------

const sameId = (a, b) => Number(a) === Number(b); // map_id may come as "5" (PROTOCOL 0.2)

function setAccount(state, p) {
  state.myId = p.account_id;
  state.account = p.account;
  state.changed.add("account");
}

/** 102–105 and 139: a full list, or one record when the packet carries `<kind>_id`. */
function setResource(kind) {
  return (state, p) => {
    const id = p[`${kind}_id`];
    if (id === undefined) state.resources[kind] = Array.isArray(p[kind]) ? p[kind] : [];
    else state.resources[kind][id] = p[kind];
    state.changed.add(kind);
  };
}

function setMap(state, p) {
  if (state.mapId === null || !sameId(p.map_id, state.mapId)) {
    // a new map: everything on the old one is gone; the join sequence refills it
    Object.assign(state, { players: {}, npcs: [], items: [], doors: [], shots: [], texts: [], effects: [] });
  }
  state.mapId = Number(p.map_id);
  state.map = p.map;
  state.changed.add("map");
}

function setSelf(state, p) {
  state.myId = p.player_id;
  const old = state.self;
  state.self = p.player;
  // A reload (after training, level-up …) may lack max_vitals (PROTOCOL 8.34): keep what we had.
  if (!state.self.max_vitals) state.self.max_vitals = old?.max_vitals ?? { ...state.self.vitals };
  state.changed.add("self").add("inventory");
}

function spawnPlayer(state, p) {
  const player = state.players[p.player_id] ?? { id: p.player_id };
  Object.assign(player, {
    name: p.name, color: p.color, sprite: p.sprite, access: p.access,
    vitals: p.vitals, max_vitals: p.max_vitals, dir: p.pos.dir,
  });
  place(player, p.pos.x, p.pos.y); // also the resync after a refused step
  state.players[p.player_id] = player;
  if (sameId(p.player_id, state.myId) && state.self) {
    state.self.vitals = p.vitals;
    state.self.max_vitals = p.max_vitals;
    state.changed.add("self");
  }
  state.changed.add("players");
}

function despawnPlayer(state, p) {
  delete state.players[Number(p.player_id)];
  state.changed.add("players");
}

/** 115 and 118: x, y is the tile moved FROM; speed 0 is a turn on that tile. */
function moveEntity(entity, p, now) {
  entity.dir = p.dir;
  const step = STEPS[p.dir];
  if (!p.speed || !step || !inMap(p.x + step[0], p.y + step[1])) {
    place(entity, p.x, p.y);
    return;
  }
  if (entity.x !== p.x || entity.y !== p.y) place(entity, p.x, p.y); // we had it elsewhere: resync first
  stepTo(entity, p.x + step[0], p.y + step[1], stepDuration(p.speed), now);
}

function movePlayer(state, p, now) {
  const player = state.players[p.player_id];
  if (player) moveEntity(player, p, now);
}

function npcSlot(npc) {
  return { ...npc, x: npc.pos?.x ?? 0, y: npc.pos?.y ?? 0, dir: npc.pos?.dir ?? 0, motion: null };
}

function setNpcs(state, p) {
  if (p.slot_id === undefined) state.npcs = (p.map_npcs ?? []).map(npcSlot);
  else state.npcs[p.slot_id] = npcSlot(p.map_npcs);
}

function moveNpc(state, p, now) {
  const npc = state.npcs[p.slot_id];
  if (npc) moveEntity(npc, p, now);
}

function setNpcVitals(state, p) {
  const npc = state.npcs[p.slot_id];
  if (npc) Object.assign(npc, { vitals: p.vitals, max_vitals: p.max_vitals });
}

function setItems(state, p) {
  if (p.slot_id === undefined) state.items = p.map_items ?? [];
  else state.items[p.slot_id] = p.map_items;
}

function setInventorySlot(state, p) {
  if (!state.self || !sameId(p.player_id, state.myId)) return;
  state.self.inv[p.slot_id] = p.inv;
  state.changed.add("inventory");
}

function setVitals(state, p) {
  const player = state.players[p.player_id];
  if (player) Object.assign(player, { vitals: p.vitals, max_vitals: p.max_vitals });
  if (sameId(p.player_id, state.myId) && state.self) {
    Object.assign(state.self, { vitals: p.vitals, max_vitals: p.max_vitals });
    state.changed.add("self");
  }
}

function setExp(state, p) {
  if (state.self && sameId(p.player_id, state.myId)) {
    state.self.exp = p.exp;
    state.changed.add("self");
  }
}

function addChat(state, p) {
  state.chatSerial += 1;
  state.chat.push({ serial: state.chatSerial, text: String(p.text), color: p.color,
    channel: p.channel_id, temp: Boolean(p.temp) });
  if (state.chat.length > CHAT_LINES_KEPT) state.chat.shift();
  state.changed.add("chat");
}

function shotSlot(shot) {
  return { ...shot, x: shot.pos?.x ?? 0, y: shot.pos?.y ?? 0, dir: shot.pos?.dir ?? 0, motion: null };
}

function setShots(state, p) {
  if (p.slot_id === undefined) state.shots = (p.map_shots ?? []).map(shotSlot);
  else state.shots[p.slot_id] = shotSlot(p.map_shots);
}

/** 127: x, y is the NEW tile (unlike 115 and 118). */
function stepShot(state, p, now) {
  const shot = state.shots[p.slot_id];
  if (!shot) return;
  shot.dir = p.dir;
  stepTo(shot, p.x, p.y, stepDuration(p.speed), now);
}

function addText(anchor) {
  return (state, p, now) => {
    const text = p.map_text ?? {};
    state.texts.push({ text: String(text.text ?? ""), color: text.color, born: now,
      anchor: anchor(p, text) });
  };
}

function addEffect(anchor) {
  return (state, p, now) => {
    const effect = p.map_effect ?? {};
    state.effects.push({ sprite: effect.sprite, born: now, durationMs: Number(p.speed) || 500,
      anchor: anchor(p, effect) });
  };
}

const onTile = (p, t) => ({ kind: "tile", x: t.x, y: t.y });
const onPlayer = (p) => ({ kind: "player", id: p.player_id });
const onNpc = (p) => ({ kind: "npc", id: p.slot_id });

function swing(collection, key) {
  return (state, p, now) => {
    const who = state[collection][p[key]];
    if (who) who.swing = { startedAt: now, durationMs: Math.min(stepDuration(p.speed), 400) };
  };
}

const HANDLERS = {
  101: setAccount,
  102: setResource("profession"),
  103: setResource("item"),
  104: setResource("npc"),
  105: setResource("shop"),
  106: setMap,
  109: setSelf,
  110: spawnPlayer,
  111: despawnPlayer,
  112: setItems,
  113: setNpcs,
  114: addChat,
  115: movePlayer,
  116: swing("players", "player_id"),
  117: swing("npcs", "slot_id"),
  118: moveNpc,
  119: setInventorySlot,
  120: setVitals,
  121: setNpcVitals,
  122: (state, p) => { state.doors = p.map_doors ?? []; },
  123: (state, p, now) => { state.audio.sound = { id: p.sound_id, at: now }; state.changed.add("audio"); },
  124: (state, p) => { state.audio.music = p.music_id; state.changed.add("audio"); },
  126: setShots,
  127: stepShot,
  130: addText(onTile),
  131: addText(onPlayer),
  132: addText(onNpc),
  133: addEffect(onPlayer),
  134: addEffect(onNpc),
  135: addEffect(onTile),
  137: setExp,
  138: (state, p) => { state.script = { name: p.name, script: p.script }; state.changed.add("script"); },
  139: setResource("quest"),
};

/** Apply one server packet; unknown types (107, 108, … never sent) are ignored. */
export function applyPacket(state, packet, now) {
  const handler = HANDLERS[packet.type];
  if (handler) handler(state, packet, now);
}

/** Forget floating texts and effects that have faded. */
export function expireTransients(state, now) {
  state.texts = state.texts.filter((text) => now - text.born < TEXT_MS);
  state.effects = state.effects.filter((effect) => now - effect.born < effect.durationMs);
}
