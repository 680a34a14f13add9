// The game view: the 12×12 map on a <canvas>, redrawn every animation frame
// from the state (which it only reads, apart from dropping finished motions).

import { MAP_SIZE, STEPS } from "./protocol.js";
import { TEXT_MS, drawnPosition, expireTransients } from "./state.js";
import { TILE_MARKERS, itemColour, layerColour, readable, spriteColour } from "./palette.js";

const TILE = 48; // drawing units per tile; the canvas is scaled to its CSS size
const BOARD = TILE * MAP_SIZE;
const LABEL_FONT = "600 13px system-ui, sans-serif";

export class GameView {
  constructor(canvas, state) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.state = state;
    this.ground = null; // the map's tiles, drawn once per map record
    this.groundOf = null;
    this.frame = this.frame.bind(this);
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    requestAnimationFrame(this.frame);
  }

  /** Match the canvas's pixels to its displayed size (and the screen's pixel ratio) so text stays sharp. */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const size = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    if (this.canvas.width !== size) this.canvas.width = this.canvas.height = size;
  }

  frame(now) {
    requestAnimationFrame(this.frame);
    if (this.canvas.offsetParent === null) return; // hidden: the game screen is not shown
    now = performance.now();
    expireTransients(this.state, now);
    const ctx = this.ctx;
    ctx.setTransform(this.canvas.width / BOARD, 0, 0, this.canvas.width / BOARD, 0, 0);
    ctx.clearRect(0, 0, BOARD, BOARD);
    if (!this.state.map) {
      this.drawWaiting();
      return;
    }
    ctx.drawImage(this.groundImage(), 0, 0, BOARD, BOARD);
    this.drawDoors();
    this.drawItems();
    const npcs = this.drawNpcs(now);
    const players = this.drawPlayers(now);
    this.drawShots(now);
    this.drawEffects(now, npcs, players);
    this.drawLabels(npcs, players);
    this.drawTexts(now, npcs, players);
  }

  drawWaiting() {
    const ctx = this.ctx;
    ctx.fillStyle = "#1b1f24";
    ctx.fillRect(0, 0, BOARD, BOARD);
    ctx.fillStyle = "#c8cdd3";
    ctx.font = "20px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("Entering the world…", BOARD / 2, BOARD / 2);
  }

  // --- the ground ------------------------------------------------------------------

  groundImage() {
    if (this.groundOf !== this.state.map) {
      this.ground = drawGround(this.state.map);
      this.groundOf = this.state.map;
    }
    return this.ground;
  }

  drawDoors() {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = "#7dff9a";
    ctx.lineWidth = 3;
    ctx.setLineDash([6, 4]);
    for (const door of this.state.doors) {
      if (door && door.x >= 0) ctx.strokeRect(door.x * TILE + 4, door.y * TILE + 4, TILE - 8, TILE - 8);
    }
    ctx.restore();
  }

  drawItems() {
    const ctx = this.ctx;
    const defs = this.state.resources.item;
    for (const item of this.state.items) {
      if (!item || item.item_id < 0) continue;
      const cx = item.x * TILE + TILE / 2, cy = item.y * TILE + TILE / 2;
      ctx.fillStyle = itemColour(defs[item.item_id]);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(cx, cy - 11); ctx.lineTo(cx + 11, cy); ctx.lineTo(cx, cy + 11); ctx.lineTo(cx - 11, cy);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      if (item.amount > 1) outlinedText(ctx, String(item.amount), cx + 12, cy + 16, "#fff", "11px system-ui");
    }
  }

  // --- NPCs and players --------------------------------------------------------------

  /** Draws the living NPCs; returns their drawn centres by slot for labels and effects. */
  drawNpcs(now) {
    const centres = {};
    const ctx = this.ctx;
    this.state.npcs.forEach((npc, slot) => {
      if (!npc || npc.npc_id < 0) return;
      const at = centre(drawnPosition(npc, now));
      centres[slot] = at;
      const size = TILE * 0.62 * Math.min(1.4, Math.max(0.6, Number(npc.scale) || 1));
      ctx.fillStyle = spriteColour(npc.sprite);
      ctx.strokeStyle = "#1a1a1a";
      ctx.lineWidth = 2;
      roundRect(ctx, at.x - size / 2, at.y - size / 2, size, size, 6);
      ctx.fill();
      ctx.stroke();
      drawFacing(ctx, at, npc.dir, size / 2, "#1a1a1a");
      drawSwing(ctx, at, npc, now);
      const max = npc.max_vitals?.hp ?? this.state.resources.npc[npc.npc_id]?.vitals?.hp;
      drawBar(ctx, at.x, at.y + size / 2 + 3, npc.vitals?.hp, max, "#e05050");
    });
    return centres;
  }

  drawPlayers(now) {
    const centres = {};
    const ctx = this.ctx;
    for (const player of Object.values(this.state.players)) {
      const at = centre(drawnPosition(player, now));
      centres[player.id] = at;
      const mine = player.id === this.state.myId;
      const dead = (player.vitals?.hp ?? 1) <= 0;
      ctx.globalAlpha = dead ? 0.45 : 1;
      if (mine) {
        ctx.strokeStyle = "#ffe066";
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.arc(at.x, at.y, TILE * 0.42, 0, Math.PI * 2);
        ctx.stroke();
      }
      ctx.fillStyle = spriteColour(player.sprite);
      ctx.strokeStyle = readable(player.color, "#d3d3d3");
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(at.x, at.y, TILE * 0.3, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      drawFacing(ctx, at, player.dir, TILE * 0.3, "#111");
      drawSwing(ctx, at, player, now);
      ctx.globalAlpha = 1;
      drawBar(ctx, at.x, at.y + TILE * 0.36, player.vitals?.hp, player.max_vitals?.hp, "#4caf50");
    }
    return centres;
  }

  drawLabels(npcs, players) {
    const ctx = this.ctx;
    const defs = this.state.resources.npc;
    for (const [slot, at] of Object.entries(npcs)) {
      const name = defs[this.state.npcs[slot].npc_id]?.name ?? "NPC";
      outlinedText(ctx, name, at.x, at.y - TILE * 0.48, "#ffb199", LABEL_FONT);
    }
    for (const [id, at] of Object.entries(players)) {
      const player = this.state.players[id];
      outlinedText(ctx, player.name ?? "?", at.x, at.y - TILE * 0.5, readable(player.color, "#d3d3d3"), LABEL_FONT);
    }
  }

  // --- shots, effects, floating texts ------------------------------------------------

  drawShots(now) {
    const ctx = this.ctx;
    for (const shot of this.state.shots) {
      if (!shot || !shot.shooter_type) continue;
      const at = centre(drawnPosition(shot, now));
      const [dx, dy] = STEPS[shot.dir] ?? [0, 0];
      ctx.strokeStyle = "rgba(255,240,170,0.6)";
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.moveTo(at.x - dx * 16, at.y - dy * 16);
      ctx.lineTo(at.x, at.y);
      ctx.stroke();
      ctx.fillStyle = "#fff3b0";
      ctx.beginPath();
      ctx.arc(at.x, at.y, 5, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  anchorPoint(anchor, npcs, players) {
    if (anchor.kind === "player") return players[anchor.id];
    if (anchor.kind === "npc") return npcs[anchor.id];
    return centre({ x: Number(anchor.x) || 0, y: Number(anchor.y) || 0 });
  }

  drawEffects(now, npcs, players) {
    const ctx = this.ctx;
    for (const effect of this.state.effects) {
      const at = this.anchorPoint(effect.anchor, npcs, players);
      if (!at) continue;
      const t = Math.min(1, (now - effect.born) / effect.durationMs);
      ctx.globalAlpha = 1 - t;
      ctx.strokeStyle = spriteColour(effect.sprite);
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(at.x, at.y, TILE * (0.2 + 0.45 * t), 0, Math.PI * 2);
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
  }

  drawTexts(now, npcs, players) {
    for (const text of this.state.texts) {
      const at = this.anchorPoint(text.anchor, npcs, players);
      if (!at) continue;
      const t = (now - text.born) / TEXT_MS;
      this.ctx.globalAlpha = Math.max(0, 1 - t * t);
      outlinedText(this.ctx, text.text, at.x, at.y - TILE * 0.85 - t * TILE * 0.5,
        readable(text.color), "700 16px system-ui, sans-serif");
      this.ctx.globalAlpha = 1;
    }
  }
}

// --- drawing helpers -------------------------------------------------------------------

const centre = (tile) => ({ x: tile.x * TILE + TILE / 2, y: tile.y * TILE + TILE / 2 });

/** The tiles of a map record (tiles[x][y], PROTOCOL 0.3) on an offscreen canvas. */
function drawGround(map) {
  const image = document.createElement("canvas");
  image.width = image.height = BOARD * 2; // drawn at twice the size so it stays crisp when scaled
  const ctx = image.getContext("2d");
  ctx.scale(2, 2);
  ctx.fillStyle = "#1b1f24";
  ctx.fillRect(0, 0, BOARD, BOARD);
  for (let x = 0; x < MAP_SIZE; x++) {
    for (let y = 0; y < MAP_SIZE; y++) drawTile(ctx, map.tiles?.[x]?.[y], x * TILE, y * TILE);
  }
  ctx.strokeStyle = "rgba(0,0,0,0.18)";
  ctx.lineWidth = 1;
  for (let i = 1; i < MAP_SIZE; i++) {
    ctx.beginPath(); ctx.moveTo(i * TILE, 0); ctx.lineTo(i * TILE, BOARD); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(0, i * TILE); ctx.lineTo(BOARD, i * TILE); ctx.stroke();
  }
  return image;
}

/** The first layer fills the tile; each higher one is a smaller square on it, so all stay visible. */
function drawTile(ctx, tile, left, top) {
  if (!tile) return;
  const layers = (tile.layers ?? []).filter((value) => value >= 0);
  layers.forEach((value, depth) => {
    const inset = depth === 0 ? 0 : 4 + depth * 4;
    ctx.fillStyle = layerColour(value);
    roundRect(ctx, left + inset, top + inset, TILE - 2 * inset, TILE - 2 * inset, depth === 0 ? 0 : 5);
    ctx.fill();
  });
  const marker = TILE_MARKERS[tile.type];
  if (!marker) return;
  if (marker.wall) {
    // a raised block: light top-left edge, dark bottom-right edge
    ctx.fillStyle = "rgba(255,255,255,0.12)";
    ctx.fillRect(left, top, TILE, 3);
    ctx.fillRect(left, top, 3, TILE);
    ctx.fillStyle = marker.colour;
    ctx.fillRect(left, top + TILE - 4, TILE, 4);
    ctx.fillRect(left + TILE - 4, top, 4, TILE);
    return;
  }
  outlinedText(ctx, marker.label, left + TILE - 10, top + 15, marker.colour, "700 14px system-ui, sans-serif");
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  if (ctx.roundRect) ctx.roundRect(x, y, w, h, r);
  else ctx.rect(x, y, w, h);
}

function drawFacing(ctx, at, dir, radius, colour) {
  const [dx, dy] = STEPS[dir] ?? [0, 1];
  const tipX = at.x + dx * (radius + 5), tipY = at.y + dy * (radius + 5);
  const baseX = at.x + dx * (radius - 4), baseY = at.y + dy * (radius - 4);
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(baseX + dy * 6, baseY - dx * 6);
  ctx.lineTo(baseX - dy * 6, baseY + dx * 6);
  ctx.closePath();
  ctx.fill();
}

/** The attack animation (116, 117): an arc swept in front of the attacker. */
function drawSwing(ctx, at, who, now) {
  const swing = who.swing;
  if (!swing) return;
  const t = (now - swing.startedAt) / swing.durationMs;
  if (t >= 1) {
    who.swing = null;
    return;
  }
  const facing = [Math.PI / 2, Math.PI, 0, -Math.PI / 2][who.dir] ?? Math.PI / 2;
  ctx.strokeStyle = `rgba(255,255,255,${1 - t})`;
  ctx.lineWidth = 4;
  ctx.beginPath();
  ctx.arc(at.x, at.y, TILE * 0.5, facing - 0.9 + t * 0.6, facing + 0.9 * t);
  ctx.stroke();
}

function drawBar(ctx, cx, top, value, max, colour) {
  if (typeof value !== "number" || !(max > 0)) return;
  const width = TILE * 0.7;
  ctx.fillStyle = "rgba(0,0,0,0.6)";
  ctx.fillRect(cx - width / 2 - 1, top - 1, width + 2, 6);
  ctx.fillStyle = colour;
  ctx.fillRect(cx - width / 2, top, width * Math.max(0, Math.min(1, value / max)), 4);
}

function outlinedText(ctx, text, x, y, colour, font) {
  ctx.font = font;
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  const half = ctx.measureText(text).width / 2;
  x = Math.max(half + 2, Math.min(BOARD - half - 2, x)); // keep names at the edges readable
  y = Math.max(14, y);
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(0,0,0,0.85)";
  ctx.strokeText(text, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}
