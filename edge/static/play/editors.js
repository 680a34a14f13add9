// The staff editors (winMapProperties, winItemEditor, winNPCEditor,
// winShopEditor, winProfessionEditor, winScriptEditor) as plain forms: the
// record as JSON text, saved with the packet of PROTOCOL 2.3 (12–18, 26).
// The server checks and validates every save; a 100 winGame closes them.

import { EDITORS, saveScript } from "./protocol.js";

const $ = (id) => document.getElementById(id);

export class RecordEditor {
  constructor(send, state) {
    this.send = send;
    this.state = state;
    this.dialog = $("record-editor");
    this.win = null;
    $("record-load").addEventListener("click", () => this.load());
    $("record-id").addEventListener("change", () => this.load());
    $("record-save").addEventListener("click", () => this.save());
  }

  get editor() {
    return EDITORS[this.win];
  }

  open(win) {
    this.win = win;
    $("record-editor-title").textContent = this.editor.title;
    $("record-id-row").hidden = !this.editor.list;
    this.load();
    if (!this.dialog.open) this.dialog.showModal();
    $(this.editor.list ? "record-id" : "record-json").focus();
  }

  /** The record being edited: the current map (106), or the list's record with the id typed. */
  load() {
    let record = this.state.map;
    this.status("");
    if (this.editor.list) {
      const list = this.state.resources[this.editor.list];
      const id = Number($("record-id").value);
      record = list[id];
      if (record === undefined) {
        record = list[0] ?? {}; // a template to start a new record from
        this.status(`There is no record ${id} yet: saving adds it.`);
      }
    }
    $("record-json").value = readableJson(record ?? {});
  }

  save() {
    let record;
    try {
      record = JSON.parse($("record-json").value);
    } catch (error) {
      this.status(`This is not valid JSON: ${error.message}`);
      return;
    }
    const id = Number($("record-id").value);
    this.send(this.editor.save(id, record));
    this.status("Sent to the server.");
  }

  status(text) {
    $("record-error").textContent = text;
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }
}

/** JSON with one key per line, but arrays of plain numbers (tile layers …) kept on one line. */
export function readableJson(record) {
  return JSON.stringify(record, null, 1).replace(/\[[-\d.,\s]*\]/g, (array) => array.replace(/\s+/g, ""));
}

export class ScriptEditor {
  constructor(send) {
    this.dialog = $("script-editor");
    $("script-save").addEventListener("click", () => send(saveScript($("script-name").value.trim(),
      $("script-text").value)));
  }

  /** 138 fills the editor; the 100 winScriptEditor that follows opens it. */
  fill(script) {
    $("script-name").value = script?.name ?? "";
    $("script-text").value = script?.script ?? "";
  }

  open() {
    if (!this.dialog.open) this.dialog.showModal();
    $("script-text").focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }
}
