/** Model files taken apart and put back together for the format tests (format.test.ts, format-async.test.ts). */
import { ALIGNMENT, PREAMBLE_BYTES, type TensorEntry, encodeModelSections } from '../../src/model/format.js';
import type { Tensor } from '../../src/model/layout.js';

/** Sections of a file as written (offsets in the preamble). */
export function sections(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = dv.getUint32(16, true);
  const tableLength = dv.getUint32(20, true);
  const payloadOffset = dv.getUint32(24, true);
  const payloadLength = dv.getUint32(32, true);
  const dec = new TextDecoder();
  const header = JSON.parse(dec.decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  const table: TensorEntry[] = JSON.parse(
    dec.decode(bytes.subarray(PREAMBLE_BYTES + headerLength, PREAMBLE_BYTES + headerLength + tableLength)),
  );
  const payload = bytes.slice(payloadOffset, payloadOffset + payloadLength);
  return { headerLength, tableLength, payloadOffset, payloadLength, header, table, payload };
}

/** Re-assemble with valid checksums after editing header / table / payload. */
export function reassemble(
  bytes: Uint8Array,
  edit: (s: { header: any; table: TensorEntry[]; payload: Uint8Array }) => { header?: any; table?: any; payload?: Uint8Array } | void,
): Uint8Array {
  const s = sections(bytes);
  const out = edit(s) ?? {};
  const header = out.header ?? s.header;
  const table = out.table ?? s.table;
  return encodeModelSections({
    header: typeof header === 'string' ? header : JSON.stringify(header),
    table: typeof table === 'string' ? table : JSON.stringify(table),
    payload: out.payload ?? s.payload,
  });
}

/** A file built from a header and tensors without writeModel's checks. */
export function rawFile(header: unknown, tensors: [string, Tensor][]): Uint8Array {
  const table: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    table.push({ name, dtype: t.dtype, shape: t.shape, offset, length: t.data.byteLength });
    offset = Math.ceil((offset + t.data.byteLength) / ALIGNMENT) * ALIGNMENT;
  }
  const end = table.length ? table[table.length - 1].offset + table[table.length - 1].length : 0;
  const payload = new Uint8Array(end);
  tensors.forEach(([, t], i) => payload.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), table[i].offset));
  return encodeModelSections({ header: JSON.stringify(header), table: JSON.stringify(table), payload });
}
