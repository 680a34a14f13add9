// The keyboard in the game: walking, turning, attacking, picking up, and
// Enter to chat. Keys count only while the game itself has the focus (the
// map or the page), so typing in the chat line or a form never walks.

import * as protocol from "./protocol.js";
import { mayEnter, me, stepTo } from "./state.js";

export const WALK_MS = 200; // the `speed` of our steps and how long one slides on screen
const STEP_EVERY_MS = 200; // at most one step per this (the server allows one per 100 ms)
const TURN_MS = 120; // a held key steps this soon after the turn it started with
const ATTACK_EVERY_MS = 800; // the starter attack script ignores faster attacks anyway
const PICKUP_EVERY_MS = 300;

const DIRECTION_KEYS = {
  arrowdown: protocol.SOUTH, s: protocol.SOUTH,
  arrowleft: protocol.WEST, a: protocol.WEST,
  arrowright: protocol.EAST, d: protocol.EAST,
  arrowup: protocol.NORTH, w: protocol.NORTH,
};

export class Keyboard {
  /** send(packet); isPlaying(): the game screen is shown; focusChat(); gameTarget: the map element. */
  constructor({ state, send, isPlaying, focusChat, gameTarget }) {
    Object.assign(this, { state, send, isPlaying, focusChat, gameTarget });
    this.held = []; // direction keys held down, the latest last
    this.nextMoveAt = 0;
    this.nextAttackAt = 0;
    this.nextPickupAt = 0;
    document.addEventListener("keydown", (event) => this.keyDown(event));
    document.addEventListener("keyup", (event) => this.keyUp(event));
    window.addEventListener("blur", () => { this.held = []; });
    setInterval(() => this.whileHeld(), 30); // keep walking while a key is held, at our own pace
  }

  /** True when a key press is meant for the game, not for a form field or a button. */
  hasFocus() {
    if (!this.isPlaying()) return false;
    const active = document.activeElement;
    return !active || active === document.body || active === this.gameTarget;
  }

  keyDown(event) {
    if (event.altKey || event.metaKey || !this.hasFocus()) return;
    const key = event.key.toLowerCase();
    const now = performance.now();
    if (key in DIRECTION_KEYS) {
      event.preventDefault(); // arrows would scroll the page
      const dir = DIRECTION_KEYS[key];
      this.held = this.held.filter((d) => d !== dir).concat(dir);
      if (!event.repeat) this.walk(dir, now);
    } else if (key === " " || key === "control") {
      event.preventDefault();
      this.attack(now);
    } else if ((key === "g" || key === ",") && !event.ctrlKey) {
      this.pickUp(now);
    } else if (key === "enter") {
      event.preventDefault();
      this.focusChat();
    }
  }

  keyUp(event) {
    const dir = DIRECTION_KEYS[event.key.toLowerCase()];
    if (dir !== undefined) this.held = this.held.filter((d) => d !== dir);
  }

  whileHeld() {
    if (this.held.length === 0) return;
    if (!this.hasFocus()) {
      this.held = [];
      return;
    }
    this.walk(this.held[this.held.length - 1], performance.now());
  }

  /**
   * Facing `dir`: one step from the current tile; otherwise only a turn, as
   * the original client does. The own step is shown at once where the map
   * says it is allowed; the server answers a step it refuses with our 110.
   */
  walk(dir, now) {
    const player = me(this.state);
    if (!player || now < this.nextMoveAt) return;
    const { x, y } = player;
    if (player.dir !== dir) {
      this.send(protocol.move(x, y, dir, 0));
      player.dir = dir;
      this.nextMoveAt = now + TURN_MS;
      return;
    }
    const [dx, dy] = protocol.STEPS[dir];
    this.send(protocol.move(x, y, dir, WALK_MS));
    if (mayEnter(this.state, x + dx, y + dy)) stepTo(player, x + dx, y + dy, WALK_MS, now);
    this.nextMoveAt = now + STEP_EVERY_MS;
  }

  attack(now) {
    if (now < this.nextAttackAt) return;
    this.nextAttackAt = now + ATTACK_EVERY_MS;
    this.send(protocol.attack());
  }

  pickUp(now) {
    if (now < this.nextPickupAt) return;
    this.nextPickupAt = now + PICKUP_EVERY_MS;
    this.send(protocol.pickUp());
  }
}
