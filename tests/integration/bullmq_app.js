// bullmq_app.js: a small BullMQ application for test_bullmq.sh, run as
//   node bullmq_app.js REDIS_SOCKET PHASE
// It adds jobs and a flow and runs a worker that succeeds, fails, retries
// and reports progress, then waits until every job it added has finished
// (or, for the jobs left waiting on purpose, was added) and exits.
'use strict';
const { Queue, Worker, FlowProducer, QueueEvents } = require('bullmq');

const [socket, phase] = process.argv.slice(2);
const connection = { path: socket, maxRetriesPerRequest: null };

function deep(n) {
  let v = { leaf: true };
  for (let i = 0; i < n; i++) v = { down: v };
  return v;
}

async function work(job) {
  await job.updateProgress(25);
  await job.updateProgress({ current: 3, total: 4 });
  await job.updateProgress(100);
  if (job.data.fail === 'always') throw new Error('bad NIP ' + job.data.nip);
  if (job.data.fail === 'once' && job.attemptsMade < 1) throw new Error('OCR engine timeout');
  return { ok: true, job: job.name, sum: 1234.5 };
}

async function main() {
  const invoices = new Queue('invoices', { connection });
  const reports = new Queue('reports', { connection });
  const odd = new Queue('faktury zł/2026', { connection });
  // Its name with the replaced characters written out: a queue of its own.
  const lookalike = new Queue('faktury_z___2026', { connection });
  const flow = new FlowProducer({ connection });
  const expect = new Set();
  const track = async (q, p) => { const j = await p; expect.add(q + '|' + j.id); return j; };

  if (phase === 'first') {
    await track('invoices', invoices.add('ocr-invoice', {
      invoice: 'FV/2026/11/1', period: '2026-11', password: 'hunter2', nip: '5874825988',
      nested: { token: 'abc', list: [1, 2, { secret: 's' }] },
    }, { jobId: 'ok-1' }));
    await track('invoices', invoices.add('ocr-invoice', { invoice: 'FV/2026/11/2', period: '2026-11', fail: 'once' },
      { jobId: 'retry-1', attempts: 3, backoff: { type: 'fixed', delay: 150 } }));
    await track('invoices', invoices.add('validate-nip', { nip: '1234567890', fail: 'always', period: '2026-10' },
      { jobId: 'fail-1', attempts: 2 }));
    await track('invoices', invoices.add('big-import', { blob: 'x'.repeat(200000) }, { jobId: 'huge-1' }));
    await track('invoices', invoices.add('tree', deep(40), { jobId: 'deep-1' }));
    const tree = await flow.add({
      name: 'month-close', queueName: 'invoices', data: { period: '2026-11' }, opts: { jobId: 'close-1' },
      children: [
        { name: 'vat-return', queueName: 'invoices', data: { step: 'vat', fail: 'once' },
          opts: { jobId: 'close-1-vat', attempts: 2 } },
        { name: 'jpk-file', queueName: 'invoices', data: { step: 'jpk' }, opts: { jobId: 'close-1-jpk' } },
      ],
    });
    expect.add('invoices|' + tree.job.id);
    expect.add('invoices|close-1-vat');
    expect.add('invoices|close-1-jpk');
    await track('faktury zł/2026', odd.add('import', { period: '2026-11' }, { jobId: 'odd-1' }));
    await track('faktury_z___2026', lookalike.add('import', { period: '2026-10' }, { jobId: 'odd-1' }));
    // Left waiting on purpose: a prioritized job, a delayed one, and one whose
    // data the test then overwrites with text that is not JSON.
    await reports.add('monthly-report', { period: '2026-11' }, { jobId: 'prio-1', priority: 1 });
    await reports.add('yearly-report', { period: '2026' }, { jobId: 'later-1', priority: 50, delay: 3600000 });
    await reports.add('raw-report', { period: '2026-11' }, { jobId: 'raw-1' });
  } else {
    await track('invoices', invoices.add('ocr-invoice', { invoice: 'FV/' + phase, period: '2026-12' },
      { jobId: phase + '-1' }));
  }

  const workers = ['invoices', 'faktury zł/2026', 'faktury_z___2026'].map((n) => new Worker(n, work, { connection }));
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    let pending = 0;
    for (const key of expect) {
      const [qn, id] = key.split('|');
      const q = { invoices, 'faktury zł/2026': odd, faktury_z___2026: lookalike }[qn];
      const job = await q.getJob(id);
      if (!job || !(await job.isCompleted() || await job.isFailed())) pending++;
    }
    if (pending === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const w of workers) await w.close();
  for (const q of [invoices, reports, odd, lookalike, flow]) await q.close();
  if (Date.now() >= deadline) {
    console.error('bullmq_app: jobs did not finish in time');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((e) => { console.error('bullmq_app:', e); process.exit(1); });
