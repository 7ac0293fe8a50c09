export { FragmentReassembler } from './reassembler.js';
export { newFragmentWins } from './policy.js';
export * from './types.js';
