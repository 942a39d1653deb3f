// The Node.js peer of the HTTP load benchmark: what a user would write on onnxruntime-node. Reads the same
// JSON body as Vigil's POST /score/{name}, puts the features in the model's order into a tensor (no
// validation, no pipeline, no log), runs the model and answers the probability.
// Usage: node server.js MODEL.onnx PORT FEATURES
'use strict';
const http = require('http');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, port, width] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const input = session.inputNames[0];
  const names = Array.from({ length: width }, (_, c) => 'x' + String(c).padStart(2, '0'));
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const features = JSON.parse(Buffer.concat(chunks)).features;
        const row = new Float32Array(width);
        for (let c = 0; c < width; c++) {
          const v = features[names[c]];
          row[c] = v === undefined ? NaN : v;
        }
        const out = await session.run({ [input]: new ort.Tensor('float32', row, [1, width]) }, ['probabilities']);
        const body = JSON.stringify({ risk: out.probabilities.data[1] });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } catch (e) {
        res.writeHead(500);
        res.end();
      }
    });
  });
  server.listen(port, '127.0.0.1', () => console.log('node peer on 127.0.0.1:' + port));
}

main();
