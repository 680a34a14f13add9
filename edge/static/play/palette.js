// Colours instead of art: there are no tile or sprite images, so every tile
// layer value, sprite number and item gets a colour from a small built-in
// palette. The first values read like the starter world (1 grass, 2 cobbles,
// 3 water, 10 walls, 11 trees …); any other value gets a stable colour of its own.

const LAYER_COLOURS = {
  0: "#3b4a3a", 1: "#5f8f45", 2: "#8a8a80", 3: "#3f78b5", 4: "#9a7048", 5: "#57534e",
  6: "#7d6a45", 7: "#c2b280", 8: "#6e5a8a", 9: "#b5a642", 10: "#3d3a36", 11: "#2f5a2a",
  12: "#a0522d", 13: "#d9d0c1", 14: "#c9a227", 15: "#7a4e2d", 16: "#5b3a1e", 17: "#7fb3c9",
  18: "#9c2f2f", 19: "#d3d3d3", 20: "#b0445c", 21: "#6d8fa8", 22: "#8b7d6b", 23: "#cfc6b0",
  24: "#c0703a", 25: "#8c3b6e", 26: "#a8844f",
};

/** A stable colour for any integer: a hue walked by the golden angle. */
function hashedColour(value, saturation = 45, lightness = 48) {
  const hue = Math.round((value * 137.508) % 360 + 360) % 360;
  return `hsl(${hue} ${saturation}% ${lightness}%)`;
}

export function layerColour(value) {
  return LAYER_COLOURS[value] ?? hashedColour(value);
}

/** Players and NPCs: brighter than the ground so they stand out on it. */
export function spriteColour(sprite) {
  return hashedColour(Number(sprite) + 3, 70, 62);
}

export function itemColour(item) {
  return hashedColour(Number(item?.sprite ?? 0) + 11, 80, 60);
}

/** Tile types the view marks: walls, warps, doors, spawns … (PROTOCOL 4.3). */
export const TILE_MARKERS = {
  1: { label: "", colour: "rgba(0,0,0,0.35)", wall: true },
  2: { label: "↕", colour: "#ffd27f" },
  3: { label: "⇆", colour: "#8fe3ff" },
  4: { label: "✦", colour: "#ffe680" },
  6: { label: "☗", colour: "#ff9d7a" },
  9: { label: "▯", colour: "#ffcc66" },
  10: { label: "◦", colour: "#ffcc66" },
  15: { label: "▦", colour: "#cccccc" },
  17: { label: "✧", colour: "#e2b3ff" },
};

function channels(hex) {
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex ?? "").trim());
  if (!match) return null;
  let digits = match[1];
  if (digits.length === 3) digits = [...digits].map((d) => d + d).join("");
  return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
}

/**
 * A server colour made readable on the dark background: the protocol uses
 * e.g. #0000ff and #696969, which are too dark there, so those are lightened.
 */
export function readable(hex, fallback = "#ffffff") {
  const rgb = channels(hex);
  if (!rgb) return fallback;
  const luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  if (luminance >= 0.45) return `rgb(${rgb.join(",")})`;
  const mix = 0.45 - luminance + 0.2; // the darker, the more white is mixed in
  return `rgb(${rgb.map((c) => Math.round(c + (255 - c) * Math.min(0.8, mix))).join(",")})`;
}
