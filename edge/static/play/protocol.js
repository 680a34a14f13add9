// Client → server packets of PROTOCOL.md section 2, and the few constants of
// the protocol the client needs. This is the only module that shapes a packet
// for the server, as cluster/packets.py is on the other side.

export const MAP_SIZE = 12;
export const INVENTORY_SLOTS = 30;
export const EQUIPMENT_SLOTS = 6; // 0–5 are worn, 6–29 are the bag
export const CHARACTER_SLOTS = 3;
export const CLIENT_VERSION = "Odyssey web client (play/) 1";

// dir 0..3 = south, west, east, north (PROTOCOL 0.3)
export const SOUTH = 0, WEST = 1, EAST = 2, NORTH = 3;
export const STEPS = [[0, 1], [-1, 0], [1, 0], [0, -1]];
export const DIR_NAMES = ["south", "west", "east", "north"];

export const SOUND_NAMES = ["map change", "hit", "NPC death", "player death", "miss"];
export const CHANNEL_NAMES = { 0: "general", 1: "notice", 4: "combat" };

export const createAccount = (email, password) =>
  ({ type: 0, email, password, version: CLIENT_VERSION });
export const login = (email, password) => ({ type: 1, email, password });
export const deleteCharacter = (slotId) => ({ type: 2, slot_id: slotId });
export const createCharacter = (name, professionId, gender) =>
  ({ type: 3, name, profession_id: professionId, gender });
export const enterGame = (slotId) => ({ type: 4, slot_id: slotId });

export const chat = (text) => ({ type: 5, text });
// x, y: the tile the player is on NOW; speed 0 = only a turn (PROTOCOL 5.1.1)
export const move = (x, y, dir, speed) => ({ type: 6, x, y, dir, speed });
// The server's attack script finds the target itself: the fields are required, not trusted.
export const attack = () =>
  ({ type: 7, target_id: 0, target_type: 0, speed: 1000, attacking: true });
export const train = (statId) => ({ type: 8, stat_id: statId });
export const useItem = (slotId) => ({ type: 9, slot_id: slotId });
export const pickUp = () => ({ type: 10 });
export const buy = (tradeIndex) => ({ type: 11, slot_id: tradeIndex });
export const dropItem = (slotId, amount) => ({ type: 20, slot_id: slotId, amount });
export const repair = (slotId) => (slotId === undefined ? { type: 24 } : { type: 24, slot_id: slotId });
export const sell = (slotId) => ({ type: 31, slot_id: slotId });
export const saveScript = (name, script) => ({ type: 26, name, script });

// The record editors: window name → how the record is saved (types 12–18).
// `list` names the resource list (102–105) that holds the records by id.
export const EDITORS = {
  winMapProperties: { title: "Map properties", save: (_id, map) => ({ type: 12, map }) },
  winItemEditor: { title: "Item editor", list: "item",
    save: (id, item) => ({ type: 13, item_id: id, item }) },
  winNPCEditor: { title: "NPC editor", list: "npc",
    save: (id, npc) => ({ type: 14, npc_id: id, npc }) },
  winShopEditor: { title: "Shop editor", list: "shop",
    save: (id, shop) => ({ type: 15, shop_id: id, shop }) },
  winProfessionEditor: { title: "Profession editor", list: "profession",
    save: (id, profession) => ({ type: 18, profession_id: id, profession }) },
};

/** The exp needed to level up from `level` (PROTOCOL 5.6). */
export function expToLevel(level) {
  return Math.floor(1000 * level ** (1 + 0.01 * level));
}
