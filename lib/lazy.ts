// lib/lazy.ts — a property computed on first read, for results whose explanation costs more than their verdict.

/**
 * defineLazy makes obj[key] an own enumerable property whose value is compute() on first read,
 * kept from then on. JSON.stringify, spreads, structuredClone and postMessage read it like a
 * plain property (so they build it); assigning replaces it with a plain value.
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): void {
  // Methods, not const arrows: under tsx each named closure costs a defineProperty per call.
  Object.defineProperty(obj, key, {
    get() {
      return settle(obj, key, compute());
    },
    set(value: T[K]) {
      settle(obj, key, value);
    },
    enumerable: true,
    configurable: true,
  });
}

function settle<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): T[K] {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  return value;
}
