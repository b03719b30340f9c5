package cachedhttp

import (
	"sync"
	"sync/atomic"

	"github.com/cachedhttp/cachedhttp/models"
)

// pendingMap holds the records queued for writing, by key, and counts its
// keys: while the count is 0 a lookup reads nothing else (most hits, once
// the queue has drained). The count is raised before a key is added and
// lowered after one is removed, so it is never below the number of keys.
type pendingMap struct {
	m sync.Map // key -> *models.Response
	n atomic.Int64
}

func (p *pendingMap) load(key string) (*models.Response, bool) {
	if p.n.Load() == 0 {
		return nil, false
	}
	v, ok := p.m.Load(key)
	if !ok {
		return nil, false
	}
	return v.(*models.Response), true
}

func (p *pendingMap) store(key string, rec *models.Response) {
	p.n.Add(1)
	if _, replaced := p.m.Swap(key, rec); replaced {
		p.n.Add(-1)
	}
}

func (p *pendingMap) compareAndDelete(key string, rec *models.Response) {
	if p.m.CompareAndDelete(key, rec) {
		p.n.Add(-1)
	}
}

func (p *pendingMap) delete(key string) {
	if _, ok := p.m.LoadAndDelete(key); ok {
		p.n.Add(-1)
	}
}

// clear removes every key (one by one, so that the count follows).
func (p *pendingMap) clear() {
	p.m.Range(func(k, v any) bool {
		if p.m.CompareAndDelete(k, v) {
			p.n.Add(-1)
		}
		return true
	})
}
