/**
 * The counters made by one limits object, by name: asked again for a name with the same rule, it gives the same
 * counter; with another rule, it throws, since a name stands for one rule.
 */
export function namedLimits<Extra = undefined>() {
  const made = new Map<string, { rule: string; counter: unknown; extra: Extra }>()
  return {
    named<C>(name: string, rule: object, make: () => { counter: C; extra: Extra }): C {
      const ruleText = JSON.stringify(rule)
      const existing = made.get(name)
      if (existing && existing.rule !== ruleText) throw new Error(`the limit ${name} is already another rule`)
      if (existing) return existing.counter as C
      const { counter, extra } = make()
      made.set(name, { rule: ruleText, counter, extra })
      return counter
    },
    extras: () => [...made.values()].map(({ extra }) => extra)
  }
}
