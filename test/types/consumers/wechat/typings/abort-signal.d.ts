// xstate's own typings name `AbortSignal` (in fromPromise and waitFor), which a project without the DOM lib lacks:
// with skipLibCheck off, as in this template, tsc reports it inside node_modules/xstate. This declaration in the
// project's typings folder is the remedy docs/typescript.md gives; an interface, it merges with a real AbortSignal.
interface AbortSignal {
  readonly aborted: boolean;
}
