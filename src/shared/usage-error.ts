// Bad input from the person at the keyboard: the command says what to change, exits 2 and
// touches nothing. The one class every command throws for it.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
