/** Every CLI command, in the order `cner --help` lists them. Add a command by appending its module here. */
import type { Command } from '../command.js';
import { convertCommand } from './convert.js';
import { splitCommand } from './split.js';
import { evalCommand } from './eval.js';
import embedCommand from './embed.js';
import publishCommand from './publish.js';
import rollbackCommand from './rollback.js';
import { serveCommand } from './serve.js';
import { tagCommand } from './tag.js';
import { retrainCommand } from './retrain.js';
import { trainCommand } from './train.js';

export const commands: Command[] = [convertCommand, splitCommand, evalCommand, embedCommand, publishCommand, rollbackCommand, serveCommand, tagCommand, trainCommand, retrainCommand];
