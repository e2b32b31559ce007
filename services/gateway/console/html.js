import { h } from "preact";
import htm from "htm";

/** Tagged templates that build Preact elements. */
export const html = htm.bind(h);
