// Runs Azurite's Queue service with the command-line options given to this script, and exits as soon as
// standard input closes, so the emulator never outlives the JVM that started it (even after a crash).
"use strict";

process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();

require("azurite/dist/src/queue/main.js");
