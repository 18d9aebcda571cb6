// Grey or RGB floats -> an 8-bit grey or RGB PNG file, for the `frame` trait.
// A canvas's own encoder always writes RGBA; this writes the image's own
// channels (what Python's _png.py writes), so a colour frame is an RGB PNG
// and a grey one a grey PNG, a quarter and a third of the raw size of RGBA.
// The zlib stream comes from the platform's CompressionStream("deflate").

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable = null;

/** @param {Uint8Array} bytes @returns {number} the CRC-32 that PNG chunks carry */
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} kind @param {Uint8Array} body @returns {Uint8Array} */
function chunk(kind, body) {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = kind.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** @param {Uint8Array} data @returns {Promise<Uint8Array>} the zlib stream of `data` */
async function deflate(data) {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * @param {ArrayLike<number>} values width*height*channels floats in [0, 1], the channels of a pixel together
 * @param {number} width
 * @param {number} height
 * @param {1 | 3} [channels] 1 grey, 3 RGB
 * @returns {Promise<DataView>} the PNG file
 */
export async function encodePng(values, width, height, channels = 1) {
  const stride = width * channels;
  // one filter byte (0: none) before each row
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < stride; x++) {
      const v = values[y * stride + x];
      raw[y * (stride + 1) + 1 + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bits per channel
  header[9] = channels === 3 ? 2 : 0; // colour type: RGB or grey
  const parts = [Uint8Array.from(SIGNATURE), chunk("IHDR", header), chunk("IDAT", await deflate(raw)), chunk("IEND", new Uint8Array(0))];
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return new DataView(file.buffer);
}
