/**
 * The wasm detector objects' blocks of linear memory (banks, scorers, prior
 * tables, fingerprint sets), held on behalf of their JS owners (issue 13, item 13).
 *
 * - An owner dropped without `free()` (a Monitor never `close()`d) gives its
 *   block back when it is garbage-collected (FinalizationRegistry); `free()`
 *   gives it back at once and unregisters it. Without this, every such monitor
 *   kept its ~0.86 MB until linear memory (4 GiB) ran out.
 * - The blocks held at once are bounded (`limit`), below the address space: a
 *   new object beyond it is refused with an error that says what to do, and the
 *   room left stays for the scratch blocks and batches of the objects already
 *   alive, so one monitor too many fails alone and the others keep scanning.
 *
 * Garbage collection runs on JS heap pressure, not on wasm memory: dropped
 * owners are freed eventually, not at once; `close()` is still the way.
 */

/** Default bound on the bytes held by live detector objects of one wasm instance: 2 GiB of the 4 GiB address space. */
export const DEFAULT_HELD_BYTES = 2 ** 31;

interface HeldBlock {
  ptr: number;
  bytes: number;
}

export class HeldBlocks {
  #bytes = 0;
  readonly #registry: FinalizationRegistry<HeldBlock>;

  constructor(
    private readonly free: (ptr: number) => void,
    readonly limit: number = DEFAULT_HELD_BYTES,
  ) {
    this.#registry = new FinalizationRegistry((block) => this.#giveBack(block));
  }

  /** Bytes held by live objects now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Throws, before anything is allocated, when `bytes` more would pass the bound. */
  reserve(bytes: number, what: string): void {
    if (this.#bytes + bytes <= this.limit) return;
    const mib = (x: number) => (x / 2 ** 20).toFixed(1);
    throw new RangeError(
      `${what}: the WebAssembly backend already holds ${mib(this.#bytes)} MiB of detector state, and ${mib(bytes)} MiB more ` +
        `would pass its bound of ${mib(this.limit)} MiB; close() the monitors you are done with ` +
        "(one dropped without close() is freed only after garbage collection)",
    );
  }

  /** `owner` holds the block at `ptr` from now on, until `release(owner)` or its collection. */
  adopt(owner: object, ptr: number, bytes: number): void {
    this.#bytes += bytes;
    this.#registry.register(owner, { ptr, bytes }, owner);
  }

  /** `owner` gives its block back now (its `free()`). */
  release(owner: object, ptr: number, bytes: number): void {
    this.#registry.unregister(owner);
    this.#giveBack({ ptr, bytes });
  }

  #giveBack(block: HeldBlock): void {
    this.#bytes -= block.bytes;
    this.free(block.ptr);
  }
}
