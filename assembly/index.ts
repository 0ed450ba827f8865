// placeholder; the kernels land here
export function version(): i32 { return 1; }
