package cachedhttp

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// writeBehind stores records behind the caller: a response is queued when
// its body has been read, and a writer goroutine drains the queue into the
// backend, in batches where the backend is a backends.Batcher.
//
// Invariants:
//   - Read your writes: from enqueue until the backend holds it, a record is
//     visible through pending, so a request made right after a miss sees it.
//   - A response never lands over the invalidation of its URL made after
//     its request began (generation and enqueue).
//   - Nothing is overtaken: a queued write lands only while its record is
//     still the pending one for its key, checked under mu, which deletes and
//     Clear also take. So neither an invalidation (RFC 9111 §4.4) nor a
//     newer response is ever overtaken by an older queued write.
//   - After close, nothing is queued and every queued write has been
//     attempted.
type writeBehind struct {
	backend backends.Backend
	ser     serializers.Serializer
	log     *limitedLog
	stats   *stats
	// trim copies small encoded records to their exact size, for backends
	// that keep the slice they are given (backends.Retainer).
	trim bool
	// readOnly: nothing is queued, written or deleted (WithReadOnly).
	readOnly bool

	pending pendingMap // key -> *models.Response
	mu      sync.Mutex

	// life orders close against enqueue: enqueue holds it shared and
	// checks closed.
	life   sync.RWMutex
	closed bool
	queue  chan write // nil: every write is synchronous
	wg     sync.WaitGroup
	// dropping is set when close ran out of time: the writer drops what
	// is still queued.
	dropping atomic.Bool

	// gens counts invalidations per stripe of primary keys (a collision
	// only makes a response skip being stored: safe).
	seed maphash.Seed
	gens [64]genStripe

	// lingerFor is how long the writer waits for a batch to fill
	// (batchLinger); batchBytes bounds the body bytes of a batch
	// (maxBatchBytes).
	lingerFor  time.Duration
	batchBytes int
}

type genStripe struct {
	mu sync.Mutex    // held to change n, and by enqueue from its check of n to its store
	n  atomic.Uint64 // invalidations counted; read without mu
}

// write is one queued record.
type write struct {
	key string
	rec *models.Response
	ttl time.Duration
}

// maxBatch bounds how many queued records the writer stores in one
// Batcher.SetMany call, and maxBatchBytes the bytes of body they carry
// (a batch stops growing once it holds that much): records taken into a
// batch have left the queue, so without a byte bound a batch of large
// bodies could hold far more memory than the queue does.
const (
	maxBatch      = 512
	maxBatchBytes = 16 << 20
)

// batchLinger is how long the writer waits for more records to join a
// batch for a backends.Batcher, which pays once per batch (a transaction
// and its fsyncs, a round trip). Without it a batch is what queued during
// the previous write: behind a bbolt commit, about 10 records under a
// steady stream of misses, each paying for most of a B+tree page. A
// longer wait makes batches larger, so that more of a batch's keys share
// the B+tree leaves a commit rewrites, and fsyncs are fewer. Measured on
// the bench's bbolt miss (Miss1KiB, interleaved runs): 10 ms and at most
// 128 records took 40% off the CPU time of no wait; 40 ms and 512 records
// took another 11% off the wall time and 16% off the CPU time. A record
// waits at most this long before it is stored, visible meanwhile through
// pending; Close cuts the wait short.
const batchLinger = 40 * time.Millisecond

// newWriteBehind returns a write-behind over b (the guarded backend); trim
// says the store keeps the slices it is given (backends.Retainer).
func newWriteBehind(b backends.Backend, trim bool, ser serializers.Serializer, queue int, log *limitedLog, st *stats) *writeBehind {
	return newWriteBehindLinger(b, trim, ser, queue, log, st, batchLinger)
}

// newWriteBehindLinger is newWriteBehind with the wait for a batch to fill
// (batchLinger) given.
func newWriteBehindLinger(b backends.Backend, trim bool, ser serializers.Serializer, queue int, log *limitedLog, st *stats, linger time.Duration) *writeBehind {
	w := &writeBehind{backend: b, trim: trim, ser: ser, log: log, stats: st, seed: maphash.MakeSeed(), lingerFor: linger, batchBytes: maxBatchBytes}
	if queue > 0 {
		w.queue = make(chan write, queue)
		w.wg.Add(1)
		go w.run()
	}
	return w
}

// lookup returns the record queued for key, if any.
func (w *writeBehind) lookup(key string) (*models.Response, bool) { return w.pending.load(key) }

// generation returns the invalidation count of primary's stripe. A
// request reads it before it goes to the origin and passes it to enqueue,
// which stores nothing if an invalidation came in between.
func (w *writeBehind) generation(primary string) uint64 {
	return w.stripe(primary).n.Load()
}

func (w *writeBehind) stripe(primary string) *genStripe {
	return &w.gens[maphash.String(w.seed, primary)%uint64(len(w.gens))]
}

// enqueue stores writes (the records of the response to a request for
// primary) behind the caller, unless primary was invalidated since gen was
// read: a response whose request began before the latest invalidation of
// its URL is older than what the invalidating request made, and is not
// stored over it. The records are visible at once through pending, and
// written by the writer goroutine (or by the caller itself when the queue
// is full or absent). After close it does nothing. It reports whether the
// writes were queued.
func (w *writeBehind) enqueue(primary string, gen uint64, writes ...write) bool {
	w.life.RLock()
	defer w.life.RUnlock()
	if w.closed || w.readOnly {
		return false
	}
	g := w.stripe(primary)
	g.mu.Lock()
	if g.n.Load() != gen {
		g.mu.Unlock()
		return false
	}
	// Once pending, a later invalidation removes the records under mu,
	// and a queued write that is no longer pending never lands.
	for _, wr := range writes {
		w.pending.store(wr.key, wr.rec)
	}
	g.mu.Unlock()
	for _, wr := range writes {
		if w.queue != nil {
			select {
			case w.queue <- wr:
				continue
			default:
			}
		}
		w.write(wr)
	}
	return true
}

// invalidate deletes keys (primary keys) as delete does, and first counts an
// invalidation for each, so that a response to a request that began before
// it is not stored after it (see enqueue).
//
// own is the primary key of the request that invalidates, if it may store a
// response itself: invalidate returns how many of its counts fell on own's
// stripe, which that request adds to the generation it read, so that its
// own invalidation never keeps its own (newer) response from being stored.
func (w *writeBehind) invalidate(ctx context.Context, own string, keys ...string) (uint64, error) {
	var mine uint64
	ownStripe := w.stripe(own)
	for _, k := range keys {
		g := w.stripe(k)
		g.mu.Lock()
		g.n.Add(1)
		g.mu.Unlock()
		if own != "" && g == ownStripe {
			mine++
		}
	}
	return mine, w.delete(ctx, keys...)
}

// close stops queueing and waits until every queued write was attempted,
// or ctx ends: then the writes still queued are dropped (counted), and
// close returns ctx's error without waiting for the write in progress
// (which its budget bounds).
func (w *writeBehind) close(ctx context.Context) error {
	w.life.Lock()
	already := w.closed
	w.closed = true
	w.life.Unlock()
	if already || w.queue == nil {
		return nil
	}
	close(w.queue)
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Drop what is still queued (the writer may hold one write in
		// progress, bounded by its budget).
		w.dropping.Store(true)
		for wr := range w.queue {
			w.drop(wr)
		}
		return fmt.Errorf("cachedhttp: close: %d queued writes dropped: %w", w.stats.droppedWrites.Load(), ctx.Err())
	}
}

// run stores queued records. With a backends.Batcher it takes whatever has
// queued up, and what queues within batchLinger after it (up to maxBatch
// records and maxBatchBytes of body), and stores it in one call, so a file
// store pays one fsync per batch instead of one per response.
func (w *writeBehind) run() {
	defer w.wg.Done()
	batcher, _ := w.backend.(backends.Batcher)
	if batcher == nil {
		for wr := range w.queue {
			if !w.drop(wr) {
				w.write(wr)
			}
		}
		return
	}
	batch := make([]write, 0, maxBatch)
	for wr := range w.queue {
		if w.drop(wr) {
			continue
		}
		batch = w.linger(append(batch[:0], wr))
		if len(batch) == 1 {
			w.write(batch[0])
			continue
		}
		w.writeBatch(batcher, batch)
	}
}

// linger adds to batch what is queued and what queues up within
// w.lingerFor (batchLinger), until it holds maxBatch records or
// w.batchBytes of body, or the queue is closed.
func (w *writeBehind) linger(batch []write) []write {
	t := time.NewTimer(w.lingerFor)
	defer t.Stop()
	size := 0
	for _, wr := range batch {
		size += bodyBytes(wr)
	}
	for len(batch) < maxBatch && size < w.batchBytes {
		select {
		case wr, ok := <-w.queue:
			if !ok {
				return batch
			}
			batch = append(batch, wr)
			size += bodyBytes(wr)
		case <-t.C:
			return batch
		}
	}
	return batch
}

// bodyBytes is the size of wr's body, the bulk of a record.
func bodyBytes(wr write) int {
	if wr.rec == nil {
		return 0
	}
	return len(wr.rec.Body)
}

// drop counts and forgets wr when close ran out of time.
func (w *writeBehind) drop(wr write) bool {
	if !w.dropping.Load() {
		return false
	}
	w.stats.droppedWrites.Add(1)
	w.pending.compareAndDelete(wr.key, wr.rec)
	return true
}

// writeBatch encodes and stores several records in one call; records that
// fail to encode are skipped (and counted), the others still stored.
func (w *writeBehind) writeBatch(b backends.Batcher, batch []write) {
	data := make([][]byte, len(batch))
	for i, wr := range batch {
		d, err := w.marshal(wr.rec)
		if err != nil {
			w.stats.backendErrors.Add(1)
			w.log.warn(context.Background(), "cachedhttp: encoding failed", slog.String("key", wr.key), slog.Any("error", err))
		}
		data[i] = d
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	defer func() {
		for _, wr := range batch {
			w.pending.compareAndDelete(wr.key, wr.rec)
		}
	}()
	items := make([]backends.Item, 0, len(batch))
	for i, wr := range batch {
		// Of several queued writes for one key only the pending (newest)
		// one is current; an invalidated key has none.
		if data[i] != nil && w.current(wr) {
			items = append(items, backends.Item{Key: wr.key, Value: data[i], TTL: wr.ttl})
		}
	}
	if len(items) == 0 {
		return
	}
	if err := b.SetMany(context.Background(), items); err != nil && !skipped(err) {
		w.stats.backendErrors.Add(1)
		w.log.warn(context.Background(), "cachedhttp: backend set failed", slog.Int("records", len(items)), slog.Any("error", err))
	}
}

// write encodes and stores one record. A failure is logged and counted; the
// caller's response is not affected.
func (w *writeBehind) write(wr write) {
	data, err := w.marshal(wr.rec)
	if err != nil {
		w.pending.compareAndDelete(wr.key, wr.rec)
		w.stats.backendErrors.Add(1)
		w.log.warn(context.Background(), "cachedhttp: encoding failed", slog.String("key", wr.key), slog.Any("error", err))
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.pending.compareAndDelete(wr.key, wr.rec)
	if !w.current(wr) {
		return // superseded or invalidated meanwhile
	}
	if err := w.backend.Set(context.Background(), wr.key, data, wr.ttl); err != nil && !skipped(err) {
		w.stats.backendErrors.Add(1)
		w.log.warn(context.Background(), "cachedhttp: backend set failed", slog.String("key", wr.key), slog.Any("error", err))
	}
}

// marshal encodes rec. A backend that keeps the slice it is given (memory)
// also keeps its spare capacity, so small records are trimmed to size:
// encoders size their buffers from an estimate, and for a 1 KiB response
// the slack is a whole allocation size class. (Encoding into a pooled buffer
// and copying out inside the serializer measured worse: ≈2,050 against
// ≈1,760 heap bytes per stored 1 KiB entry.)
func (w *writeBehind) marshal(rec *models.Response) ([]byte, error) {
	data, err := w.ser.Marshal(rec)
	if err == nil && w.trim && cap(data)-len(data) >= 64 && len(data) < 64<<10 {
		data = bytes.Clone(data)
	}
	return data, err
}

// current reports whether wr's record is still the pending one for its key.
// Call with mu held.
func (w *writeBehind) current(wr write) bool {
	v, ok := w.pending.load(wr.key)
	return ok && v == wr.rec
}

// delete removes keys from the queue and the backend; a queued write for
// one of them will not land afterwards.
func (w *writeBehind) delete(ctx context.Context, keys ...string) error {
	if w.readOnly {
		return ErrReadOnly
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		w.pending.delete(k)
	}
	return w.backend.Delete(ctx, keys...)
}

// clear empties the queue's view and the backend.
func (w *writeBehind) clear(ctx context.Context) error {
	if w.readOnly {
		return ErrReadOnly
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending.clear()
	return w.backend.Clear(ctx)
}
