/**
 * `cner retrain --config FILE`: the scheduled retraining job (src/retrain/). Trains on the annotated
 * sources, evaluates the candidate and the current model on the same test split, and publishes only when the
 * gate passes. Exit: 0 published / nothing to do, 1 error, 2 usage, 3 refused by the gate, 4 lock held.
 */
import { loadRetrainConfig, RetrainConfigError, runRetrain, RETRAIN_EXIT } from '../../../retrain/index.js';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, err, out, parseCommandArgs, requireOption, type Command } from '../command.js';

const usage = `Usage: cner retrain --config FILE [--quiet]

The scheduled retraining job. Reads the annotated records of every source in the config (folders, files or
s3:// / r2:// prefixes, any corpus format; a later source wins on a duplicate document id), takes the store's
lock, trains a candidate in a fresh folder, scores it and the currently published model on the same test
split (record-level, seed 2017), and publishes it only when it is at least as good (micro-F1 margin, per-type
floors). Rerunning on the same data and settings changes nothing. A JSON and a markdown report go to
reportDir either way. See docs/retrain.md (config fields, scheduling) and docs/store.md (the store).

The temporary copy of the training data (clinical text) lives in a private folder, mode 0700:
CNER_SCRATCH_DIR, else $XDG_CACHE_HOME/cner/retrain, else ~/.cache/cner/retrain. It is removed when the run
ends (also on Ctrl-C / SIGTERM); what a killed run left there is removed when the next run starts.

Options:
  --config FILE   the job's JSON config (required); relative paths in it resolve against its folder
  --quiet         no job progress lines on stderr (the trainer's epoch lines, the result line and the
                  report paths still print)
  -h, --help      show this help

Exit status:
  0  published, or nothing to do (the current model was trained on the same data)
  1  error (the published model is unchanged)
  2  usage error
  3  refused by the gate (the published model is unchanged)
  4  another run holds the lock (nothing done)`;

export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'retrain on annotated records; publish only if at least as good as the current model',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, quiet: { type: 'boolean' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const file = requireOption(values, 'config');
    let config;
    try {
      config = await loadRetrainConfig(file);
    } catch (e) {
      if (e instanceof RetrainConfigError) {
        err(`cner retrain: ${e.message}`);
        return RETRAIN_EXIT.error;
      }
      throw e;
    }

    // SIGINT / SIGTERM stop the run: the training thread is stopped, nothing is published, the lock is released
    // and the report written, then the process exits 130 / 143. A second signal exits at once (the lock then
    // expires after lockTtlMinutes). The manifest is written only at the very end, so it stays as it was.
    const controller = new AbortController();
    let stoppedBy: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) {
        err(`cner retrain: ${signal} again: exiting now; the lock expires by itself`);
        process.exit(signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED);
      }
      stoppedBy = signal;
      err(`cner retrain: ${signal}: stopping (nothing is published; the lock is released)`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const outcome = await runRetrain(config, {
        signal: controller.signal,
        log: values.quiet ? () => {} : (line) => err(`retrain: ${line}`),
      });
      const r = outcome.report;
      out(`${outcome.status}: ${outcome.message}`);
      if (r.gate && (outcome.status === 'refused' || !values.quiet)) for (const reason of r.gate.reasons) out(`  gate: ${reason}`);
      if (outcome.reportFiles) out(`report: ${outcome.reportFiles.json}\n        ${outcome.reportFiles.md}`);
      if (stoppedBy && outcome.status === 'error') return stoppedBy === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED;
      if (outcome.reportError !== undefined) {
        err(`cner retrain: the report could not be written: ${outcome.reportError}`);
        return outcome.exitCode === 0 ? RETRAIN_EXIT.error : outcome.exitCode;
      }
      return outcome.exitCode;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  },
};

export default retrainCommand;
