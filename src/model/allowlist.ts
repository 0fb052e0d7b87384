/** The field allowlists: see grammar.ts (one grammar per field, shared with every serializer). */
export {allow, canonicalHost} from './grammar.js'
