// The panels beside the map: chat, the own vitals, the inventory and the
// shop. Each redraws from the state when main.js says its part changed.

import * as protocol from "./protocol.js";
import { CHAT_LINES_KEPT } from "./state.js";
import { itemColour, readable } from "./palette.js";
import { button } from "./ui.js";

const $ = (id) => document.getElementById(id);
const TEMP_LINE_MS = 8000; // transient combat lines fade out after this
const FADE_MS = 1500; // as .chat-log li.faded in style.css
const EQUIPMENT_NAMES = ["Weapon", "Armour", "Head", "Shield", "Feet", "Ring"];

export class ChatPanel {
  constructor(send, gameTarget) {
    this.log = $("chat-log");
    this.input = $("chat-input");
    this.shownSerial = 0;
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      // slash commands, 'global and @whispers are plain text to the server (PROTOCOL 5.8)
      if (text) send(protocol.chat(text));
      this.input.value = "";
      gameTarget.focus(); // back to walking, like the original's chat line
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") gameTarget.focus();
    });
  }

  focus() {
    this.input.focus();
  }

  render(state) {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    for (const line of state.chat) {
      if (line.serial > this.shownSerial) this.log.append(chatLine(line));
    }
    this.shownSerial = state.chatSerial;
    while (this.log.childElementCount > CHAT_LINES_KEPT) this.log.firstElementChild.remove();
    if (atBottom) this.log.scrollTop = this.log.scrollHeight; // keep following unless the player scrolled up
  }

  /** A new connection: the state's chat starts again from serial 0. */
  clear() {
    this.log.replaceChildren();
    this.shownSerial = 0;
  }
}

function chatLine(line) {
  const item = document.createElement("li");
  item.style.color = readable(line.color);
  const channel = document.createElement("span");
  channel.className = "channel";
  channel.textContent = protocol.CHANNEL_NAMES[line.channel] ?? `ch ${line.channel}`;
  item.append(channel, document.createTextNode(line.text));
  if (line.temp) {
    setTimeout(() => item.classList.add("faded"), TEMP_LINE_MS); // the CSS transition fades it
    setTimeout(() => item.remove(), TEMP_LINE_MS + FADE_MS);
  }
  return item;
}

export class CharacterPanel {
  constructor(send) {
    for (const element of document.querySelectorAll("#training button")) {
      element.addEventListener("click", () => send(protocol.train(Number(element.dataset.stat))));
    }
  }

  render(state) {
    const self = state.self;
    if (!self) return;
    $("me-name").textContent = self.name;
    $("me-level").textContent = `level ${self.level ?? 1}`;
    const vitals = self.vitals ?? {}, max = self.max_vitals ?? {};
    const need = protocol.expToLevel(self.level ?? 1);
    $("vitals").replaceChildren(
      ...bar("HP", "hp", vitals.hp, max.hp), ...bar("MP", "mp", vitals.mp, max.mp),
      ...bar("SP", "sp", vitals.sp, max.sp), ...bar("Exp", "exp", self.exp ?? 0, need));
    const points = self.train_points ?? 0;
    $("training").hidden = points <= 0;
    $("train-points").textContent = `${points} training point${points === 1 ? "" : "s"}:`;
  }
}

/** A labelled bar (label, bar, numbers) as three grid cells. */
function bar(label, kind, value, max) {
  const name = document.createElement("span");
  name.textContent = label;
  const track = document.createElement("div");
  track.className = `bar ${kind}`;
  track.setAttribute("role", "progressbar");
  track.setAttribute("aria-label", label);
  const now = Math.round(Number(value) || 0), top = Math.round(Number(max) || 0);
  track.setAttribute("aria-valuemin", "0");
  track.setAttribute("aria-valuemax", String(top));
  track.setAttribute("aria-valuenow", String(now));
  const fill = document.createElement("span");
  fill.style.width = `${top > 0 ? Math.max(0, Math.min(100, (100 * now) / top)) : 0}%`;
  track.append(fill);
  const numbers = document.createElement("span");
  numbers.textContent = `${now}/${top}`;
  return [name, track, numbers];
}

export class InventoryPanel {
  constructor(send, state) {
    this.state = state;
    this.selected = null; // the selected slot id, for Use, Drop, Sell and Repair
    // The 30 slot buttons are made once and updated in place, so a focused slot keeps the focus.
    this.cells = range(0, protocol.INVENTORY_SLOTS).map((slot) => {
      const element = button("", () => this.select(slot));
      element.dataset.slot = String(slot);
      const listItem = document.createElement("li");
      listItem.append(element);
      $(slot < protocol.EQUIPMENT_SLOTS ? "equipment" : "bag").append(listItem);
      return element;
    });
    $("use-item").addEventListener("click", () => this.withSelection((slot) => send(protocol.useItem(slot))));
    $("drop-item").addEventListener("click", () => this.withSelection((slot) => {
      const amount = Math.max(1, Math.floor(Number($("drop-amount").value) || 1));
      send(protocol.dropItem(slot, amount));
    }));
    this.render();
  }

  withSelection(action) {
    if (this.selected === null) {
      $("selected-item").textContent = "Select a slot first.";
      return;
    }
    action(this.selected);
  }

  render() {
    this.cells.forEach((element, slot) => this.fillCell(element, slot));
    this.describeSelection();
  }

  /** What slot `slot` holds: its accessible label, display name, item record and amount. */
  slotContents(slot) {
    const held = this.state.self?.inv?.[slot];
    const where = slot < protocol.EQUIPMENT_SLOTS ? EQUIPMENT_NAMES[slot] : `Bag ${slot - protocol.EQUIPMENT_SLOTS + 1}`;
    if (!held || held.item_id < 0) return { where, label: `${where}: empty`, held: null };
    const item = this.state.resources.item[held.item_id];
    const name = item?.name ?? `Item ${held.item_id}`;
    const label = `${where}: ${name}${held.amount > 1 ? ` × ${held.amount}` : ""}`;
    return { where, label, held, item, name };
  }

  fillCell(element, slot) {
    const { where, label, held, item, name } = this.slotContents(slot);
    element.className = `slot${held ? "" : " empty"}`;
    element.title = label;
    element.setAttribute("aria-label", label);
    element.setAttribute("aria-pressed", String(this.selected === slot));
    if (!held) {
      element.textContent = slot < protocol.EQUIPMENT_SLOTS ? where : "";
      return;
    }
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = itemColour(item);
    element.replaceChildren(swatch, document.createTextNode(name.slice(0, 7)));
    if (held.amount > 1) {
      const badge = document.createElement("span");
      badge.className = "amount-badge";
      badge.textContent = String(held.amount);
      element.append(badge);
    }
  }

  select(slot) {
    this.selected = this.selected === slot ? null : slot;
    this.cells.forEach((element, i) => element.setAttribute("aria-pressed", String(this.selected === i)));
    this.describeSelection();
  }

  describeSelection() {
    const text = $("selected-item");
    if (this.selected === null) {
      text.textContent = "Select a slot.";
      return;
    }
    const { label, held, item } = this.slotContents(this.selected);
    const uses = held && item?.uses > 0 ? ` (uses ${held.uses}/${item.uses})` : "";
    text.textContent = `${label}${uses}`;
  }
}

export class ShopPanel {
  constructor(send, inventory) {
    $("sell-item").addEventListener("click", () => inventory.withSelection((slot) => send(protocol.sell(slot))));
    $("repair-item").addEventListener("click", () => inventory.withSelection((slot) => send(protocol.repair(slot))));
    $("repair-all").addEventListener("click", () => send(protocol.repair()));
    this.send = send;
  }

  /** Shown on a shop map: the 106 record has shop_id > −1. */
  render(state) {
    const shopId = state.map?.shop_id ?? -1;
    const shop = shopId > -1 ? state.resources.shop[shopId] : null;
    $("shop-panel").hidden = !shop;
    if (!shop) return;
    $("shop-title").textContent = shop.name ? `${shop.name}'s shop` : "Shop";
    const itemName = (id) => state.resources.item[id]?.name ?? `item ${id}`;
    $("trades").replaceChildren(...(shop.trades ?? []).map((trade, index) => {
      const row = document.createElement("li");
      const what = `${trade.give_amount} × ${itemName(trade.give_item_id)} for ${trade.take_amount} × ${itemName(trade.take_item_id)}`;
      const text = document.createElement("span");
      text.textContent = what;
      row.append(text, button("Buy", () => this.send(protocol.buy(index)), `Buy ${what}`));
      return row;
    }));
  }
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
