import { loadEnvFile } from '../env-file.js'
import { runCli } from './run.js'

loadEnvFile()

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr
})
