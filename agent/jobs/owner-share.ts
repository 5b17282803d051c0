// The default per-owner share of a global limit (running jobs, retained
// finished jobs): half of it, rounded up. Why half: one owner can then never
// hold more than half of a pool, so any other owner always finds at least the
// other half free of it, while an owner alone on an agent still gets half the
// capacity (a quarter would leave a lone user mostly idle). Any static share
// lets enough owners together fill the pool; an operator who expects N busy
// owners sets the per-owner limit to the global one divided by N.
export function defaultOwnerShare(globalLimit: number): number {
  return Math.ceil(globalLimit / 2);
}
