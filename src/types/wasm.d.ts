/** Module types of the Worker bundle's non-JS imports (wrangler rules; see wrangler.toml). */

/** build/*.wasm → a compiled module (wrangler's default CompiledWasm rule). */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

/** models/*.cner → the file's bytes (the Data rule in wrangler.toml). */
declare module '*.cner' {
  const bytes: ArrayBuffer;
  export default bytes;
}
