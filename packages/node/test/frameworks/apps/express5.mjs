// Express 5 imported as ESM: `node --import @faultline/node/register express5.mjs`.
import express from 'express';
import { expressApp, serve } from './express.cjs';

serve(expressApp(express, 5));
