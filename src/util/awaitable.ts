/**
 * A value that is ready now or later. Why: the hot request path (a cached credential, a cached profile) answers from
 * memory, and an `await` or `.then` there costs a promise and a microtask turn per step for nothing; steps that
 * return an `Awaitable` stay synchronous until one of them really waits.
 */
export type Awaitable<T> = T | Promise<T>;

/** True when the value is still on its way. */
export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** Runs `next` on the value: at once when it is ready, after it settles when it is not. */
export function andThen<T, U>(value: Awaitable<T>, next: (ready: T) => Awaitable<U>): Awaitable<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
