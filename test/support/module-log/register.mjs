// node --import ./register.mjs: every module the process resolves through import (ESM, and the CommonJS entry
// of a package it imports) is appended, one URL a line, to the file named by VMTA_TEST_MODULE_LOG.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
