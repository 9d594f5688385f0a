/**
 * Writes a TW-format capacity file of any size, streaming (memory flat).
 *
 * @module
 */

/** The report's header line. */
export const HEADER =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC","IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"\r\n';

const ZONES = ["WEST TEXAS", "PANHANDLE", "CENTRAL", "EAST OF THOREAU", "WEST OF THOREAU"];

/** One row; `variant` shifts scheduled quantities so a second file updates every row. */
export function row(i: number, variant: number): string {
  const delivery = i % 2 === 0;
  const loc = 100000 + Math.floor(i / 2);
  const dc = 1000 + (i * 37) % 850000;
  const tsq = (i * 13 + variant * 7) % dc;
  const missing = i % 25 === 0;
  const q = missing ? `"${dc}",,,` : `"${dc}","${dc}","${tsq}","${dc - tsq}"`;
  return `"${loc}","${ZONES[i % ZONES.length]}","POINT ${loc}  ${delivery ? "DEL" : "REC"}","${
    delivery ? "MQ" : "M2"
  }","${delivery ? "DPQ" : "RPQ"}","${delivery ? "D" : "R"}",${q},"${i % 3 ? "N" : "Y"}","N","N","${
    missing ? "N" : "Y"
  }","${
    missing
      ? "Total Scheduled Quantity unavailable;Operating Capacity unavailable;Operationally Available Capacity unavailable"
      : ""
  }"\r\n`;
}

/** Write `rows` rows to `path`; returns the size in bytes. */
export async function writeTwFile(path: string, rows: number, variant = 0): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let bytes = 0;
  let buf = HEADER;
  try {
    for (let i = 0; i < rows; i++) {
      buf += row(i, variant);
      if (buf.length > 1 << 20) {
        const b = enc.encode(buf);
        bytes += b.length;
        await file.write(b);
        buf = "";
      }
    }
    const b = enc.encode(buf);
    bytes += b.length;
    await file.write(b);
  } finally {
    file.close();
  }
  return bytes;
}
