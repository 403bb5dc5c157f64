import type { RegisterCommand } from './index.js';

// Placeholder until this command lands; it adds nothing to the program.
export const registerServe: RegisterCommand = () => {};
