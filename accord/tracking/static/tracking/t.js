/*! accord.js 1.0.0 for Accord: docs/snippet.md */
(() => {
const w = window, d = document, n = navigator, L = location;
if (w.accord && w.accord.flush) return;
const tag = d.currentScript || [...d.scripts].find(s => /\/t\.js([?#]|$)/.test(s.src)) || d.body;
const attr = k => tag.getAttribute("data-" + k) || "", key = attr("key");
const url = (attr("host") || new URL(tag.src || L).origin).replace(/\/$/, "") + "/v1/batch";
const AID = "accord_aid", UTM = "accord_utm", UID = "accord_uid", OK = "accord_consent";
const get = k => { try { return localStorage.getItem(k); } catch (e) {} };
const set = (k, v) => { try { v ? localStorage.setItem(k, v) : localStorage.removeItem(k); } catch (e) {} };
const cookie = (v, age) => d.cookie = `${AID}=${v};max-age=${age};path=/;samesite=lax${L.protocol == "https:" ? ";secure" : ""}`;
const uuid = () => crypto.randomUUID ? crypto.randomUUID() : ([1e7]+-1e3+-4e3+-8e3+-1e11).replace(/[018]/g,
	c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));
const now = () => new Date().toISOString();

// consent: 1 given, 0 not yet (messages wait in memory), -1 refused
const saved = get(OK);
let state = saved ? (saved == "1" ? 1 : -1)
	: attr("consent") == "required" || n.globalPrivacyControl === true || n.doNotTrack == "1" || w.doNotTrack == "1" ? 0 : 1;
let aid, uid, queue = [], waiting = [], timer;

const start = () => {
	const c = d.cookie.match(/(^|; *)accord_aid=([\w-]{8,64})(;|$)/);
	aid = aid || c && c[2] || get(AID) || uuid();
	cookie(aid, 31536000);
	set(AID, aid);
	set(UID, uid = uid || get(UID));
	campaign();
};

// UTM tags: this page's, else the session's first set (30 idle minutes end a session)
const campaign = () => {
	const q = new URLSearchParams(L.search), c = {};
	for (const k of "source medium campaign term content".split(" ")) {
		if (q.get("utm_" + k)) c[k == "campaign" ? "name" : k] = q.get("utm_" + k);
	}
	const here = Object.keys(c).length ? c : null;
	if (state < 1) return here;
	let s;
	try { s = JSON.parse(get(UTM)); } catch (e) {}
	if (!s || Date.now() - s.t > 18e5) s = here && {c};
	if (s) s.t = Date.now();
	set(UTM, s && JSON.stringify(s));
	return here || s && s.c;
};

const page = () => ({url: L.href.split("#")[0], path: L.pathname, referrer: d.referrer, title: d.title, search: L.search});

const enqueue = m => {
	m.anonymousId = aid;
	m.userId = uid || undefined;
	if (queue.push(m) > 19) flush();
	else timer = timer || setTimeout(flush, 2000);
};

const message = (type, body) => {
	if (!key || state < 0) return;
	const m = Object.assign({type, messageId: uuid(), timestamp: now(), context: {page: page(), campaign: campaign() || undefined,
		userAgent: n.userAgent, library: {name: "accord.js", version: "1.0.0"}}}, body);
	if (state) enqueue(m);
	else if (waiting.length < 100) waiting.push(m);
};

// a string body goes as text/plain: no CORS preflight; a beacon outlives the page
const flush = () => {
	clearTimeout(timer);
	timer = 0;
	while (queue.length) {
		const body = JSON.stringify({batch: queue.splice(0, 20), sentAt: now(), writeKey: key});
		let sent;
		try { sent = n.sendBeacon(url, body); } catch (e) {}
		if (!sent) fetch(url, {method: "POST", body, keepalive: true}).catch(() => {});
	}
};

const api = {
	page(name, props) {
		if (typeof name == "object") [name, props] = ["", name];
		message("page", {name: name ? "" + name : undefined, properties: props || {}});
	},
	track(event, props) { if (event) message("track", {event: "" + event, properties: props || {}}); },
	identify(id, traits) {
		if (typeof id == "object") [id, traits] = ["", id];
		if (id) uid = "" + id;
		if (state > 0) set(UID, uid);
		message("identify", {traits: traits || {}});
	},
	consent(given) {
		set(OK, given ? "1" : "0");
		if (!given) {
			state = -1; queue = []; waiting = []; aid = uid = null;
			cookie("", 0);
			[AID, UTM, UID].forEach(k => set(k));
		} else if (state < 1) {
			state = 1;
			start();
			waiting.splice(0).forEach(enqueue);
		}
	},
	anonymousId: () => aid || null,
	flush,
};

// forms marked data-accord-form: fields as traits (never secrets), sent at once
const TRAITS = {
	email: /^e?mail(address)?$/, firstName: /^(first|f|given)(name)?$/, lastName: /^(last|l|family|sur)(name)?$/,
	name: /^(full)?name$/, company: /^(company|organi[sz]ation|org)(name)?$/, title: /^((job)?title|position)$/,
	phone: /^(phone|tel|telephone|mobile)(number)?$/,
};
const norm = s => s.toLowerCase().replace(/[^a-z]/g, "");
const fields = form => {
	const traits = {};
	for (const el of form.elements) {
		const name = el.name, type = el.type, auto = el.autocomplete || "", v = ("" + (el.value || "")).trim().slice(0, 1000);
		if (!v || !name || el.disabled || /^(submit|button|reset|image|file|password)$/.test(type) ||
			/pass|card|cvc|cvv|ssn|secret|token|csrf/i.test(name) || /cc-|password|one-time/.test(auto) ||
			/checkbox|radio/.test(type) && !el.checked || el.hasAttribute("data-accord-ignore")) continue;
		const k = type == "email" ? "email"
			: Object.keys(TRAITS).find(t => TRAITS[t].test(norm(name)) || TRAITS[t].test(norm(auto))) || name;
		traits[k] = traits[k] || v;
	}
	return traits;
};

if (attr("forms") != "off") d.addEventListener("submit", e => {
	const f = e.target, a = k => f.getAttribute(k);
	try {
		if (!f.hasAttribute("data-accord-form")) return;
		const traits = fields(f);
		if (Object.keys(traits).length) api.identify(traits);
		api.track("Form Submitted", {form: a("data-accord-form") || a("id") || a("name") || "form",
			offer: a("data-accord-offer") || undefined, url: page().url, path: L.pathname});
		flush();
	} catch (err) {} // the form must work regardless
}, true);
d.addEventListener("visibilitychange", () => d.hidden && flush());
w.addEventListener("pagehide", flush);

// (window.accord = window.accord || []).push(["consent", true]) works before loading too
const stub = w.accord;
api.push = c => api[c[0]] && api[c[0]](...c.slice(1));
w.accord = api;
if (state > 0 && key) start();
api.page();
[].forEach.call(stub || [], api.push);
})();
