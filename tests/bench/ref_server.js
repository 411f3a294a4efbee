// tests/bench/ref_server.js IMPL PORT: a reference server for the ingest
// benchmark (tests/bench_ingest.sh, BENCH_REFS), on Socket.IO 4.8 or ws 8,
// serving the part of wfmon.v1 that wfmon-bench uses, so that the same load
// generator drives it and wfmond on the same shape:
//   subscribe {"type":"subscribe","id":N,"room":R}  -> join R, {"type":"subscribed",...}
//   publish {"type":"publish","id":N,"events":[...]} -> each event to the room
//     "execution:" + event.execution_id as {"type":"event","room","seq","event"},
//     then {"type":"ack","id":N,"accepted","rejected":0,"results":[...]}.
// What a Node server in front of a monitor would do at least: parse each
// message, route by room, serialize once per room (both libraries do), answer.
// No validation, no authentication, no storage, no history: a floor for those
// servers, not a copy of wfmond. IMPL socketio: the wfmon.v1 objects travel as
// the argument of a Socket.IO event named "m" (wfmon-bench --socketio), over
// the websocket transport only; IMPL ws: plain wfmon.v1 text frames.
'use strict';
const impl = process.argv[2];
const port = Number(process.argv[3]);
if (!['socketio', 'ws'].includes(impl) || !(port > 0)) {
	console.error('usage: ref_server.js socketio|ws PORT');
	process.exit(2);
}
let seq = 0;

// The answer to one request; send(obj) answers the requester, toRoom(room, obj) fans out.
function handle(msg, join, send, toRoom) {
	if (msg === null || typeof msg !== 'object')
		return;
	if (msg.type === 'subscribe') {
		join(msg.room);
		send({ type: 'subscribed', id: msg.id, room: msg.room, resumed: false });
	} else if (msg.type === 'publish' && Array.isArray(msg.events)) {
		const results = [];
		for (const ev of msg.events) {
			const room = 'execution:' + ev.execution_id;
			toRoom(room, { type: 'event', room, seq: ++seq, event: ev });
			results.push({ event_id: ev.id, status: 'ok' });
		}
		send({ type: 'ack', id: msg.id, accepted: results.length, rejected: 0, results });
	}
}

if (impl === 'socketio') {
	const { Server } = require('socket.io');
	const io = new Server(port, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
	io.on('connection', (socket) => {
		socket.on('m', (msg) => handle(msg, (room) => socket.join(room), (obj) => socket.emit('m', obj),
			(room, obj) => io.to(room).emit('m', obj)));
	});
} else {
	const { WebSocketServer } = require('ws');
	const rooms = new Map();   // room -> Set of sockets
	const wss = new WebSocketServer({ port, perMessageDeflate: false,
		handleProtocols: (protocols) => (protocols.has('wfmon.v1') ? 'wfmon.v1' : false) });
	wss.on('connection', (ws) => {
		const joined = [];
		ws.on('message', (data) => {
			let msg;
			try {
				msg = JSON.parse(data);
			} catch {
				return;
			}
			handle(msg, (room) => {
				if (!rooms.has(room))
					rooms.set(room, new Set());
				rooms.get(room).add(ws);
				joined.push(room);
			}, (obj) => ws.send(JSON.stringify(obj)), (room, obj) => {
				const subs = rooms.get(room);
				if (subs === undefined)
					return;
				const text = JSON.stringify(obj);   // once per room, as wfmond frames once
				for (const s of subs)
					s.send(text);
			});
		});
		ws.on('close', () => {
			for (const room of joined)
				rooms.get(room)?.delete(ws);
		});
	});
}
process.on('SIGTERM', () => process.exit(0));
console.log('ready');
