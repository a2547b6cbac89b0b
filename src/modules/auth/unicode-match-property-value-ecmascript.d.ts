/** The package ships no types; its data file maps each property to its values' aliases and canonical names. */
declare module 'unicode-match-property-value-ecmascript/data/mappings.js' {
  const propertyValueAliases: ReadonlyMap<string, ReadonlyMap<string, string>>
  export default propertyValueAliases
}
