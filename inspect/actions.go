package inspect

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// maxForm bounds a delete or purge form (a page of keys is a few KiB).
const maxForm = 1 << 20

// deleteBatch is how many keys one Delete call removes when purging the
// entries a filter matches.
const deleteBatch = 500

// postForm parses a delete or purge form and applies the CSRF checks,
// answering the refusal itself; it reports whether to go on.
func (h *Handler) postForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.message(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.", err)
		return false
	}
	if err := h.checkPost(r); err != nil {
		text := "This request was refused and nothing was deleted. Reload the inspector's page and submit its form again."
		if errors.Is(err, ErrReadOnly) {
			text = "This inspector is read-only: nothing can be deleted through it."
		}
		h.message(w, r, http.StatusForbidden, "Refused", text, err)
		return false
	}
	return true
}

// deleteKeys removes the records named by the form's key fields.
func (h *Handler) deleteKeys(w http.ResponseWriter, r *http.Request) {
	if !h.postForm(w, r) {
		return
	}
	ks := r.PostForm["key"]
	ret := returnTo(r.PostForm.Get("return"))
	if len(ks) == 0 {
		redirect(w, ret, "none", 0)
		return
	}
	if err := h.cache.Delete(r.Context(), ks...); err != nil {
		h.opt.Logger.WarnContext(r.Context(), "inspect: delete", "keys", ks, "error", err)
		h.message(w, r, http.StatusBadGateway, "Delete failed", "The cache did not delete the records.", err)
		return
	}
	redirect(w, ret, "deleted", len(ks))
}

// purge removes the expired records ("expired"), the records the form's
// filter matches ("matching") or everything ("all", with confirm=yes).
func (h *Handler) purge(w http.ResponseWriter, r *http.Request) {
	if !h.postForm(w, r) {
		return
	}
	ret := returnTo(r.PostForm.Get("return"))
	ctx := r.Context()
	switch r.PostForm.Get("action") {
	case "expired":
		n, err := h.cache.DeleteExpired(ctx)
		if err != nil {
			h.message(w, r, http.StatusBadGateway, "Purge failed", "The cache did not purge its expired records.", err)
			return
		}
		redirect(w, ret, "expired", n)
	case "matching":
		f := parseFilter(r.PostForm)
		if !f.active() {
			h.message(w, r, http.StatusBadRequest, "Nothing to match", "Deleting the matching entries needs a filter; to delete everything, clear the cache.", nil)
			return
		}
		var ks []string
		for _, e := range f.apply(h.scan(ctx).entries) {
			ks = append(ks, e.Key)
		}
		for i := 0; i < len(ks); i += deleteBatch {
			if err := h.cache.Delete(ctx, ks[i:min(i+deleteBatch, len(ks))]...); err != nil {
				h.message(w, r, http.StatusBadGateway, "Delete failed", "The cache did not delete the matching records.", err)
				return
			}
		}
		redirect(w, ret, "deleted", len(ks))
	case "all":
		if r.PostForm.Get("confirm") != "yes" {
			h.message(w, r, http.StatusBadRequest, "Not confirmed", "Tick the confirmation box to clear the whole cache.", nil)
			return
		}
		if err := h.cache.Clear(ctx); err != nil {
			h.message(w, r, http.StatusBadGateway, "Clear failed", "The cache was not cleared.", err)
			return
		}
		redirect(w, url.Values{}, "cleared", 0)
	default:
		h.message(w, r, http.StatusBadRequest, "Unknown action", "The purge form named no known action.", nil)
	}
}

// returnTo keeps, of a form's return address, the entries page's filter
// and page parameters only, so a form can never redirect elsewhere.
func returnTo(raw string) url.Values {
	q, _ := url.ParseQuery(raw)
	out := url.Values{}
	for _, k := range append(filterParams, "page") {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// redirect sends the browser back to the entries page (303 See Other,
// relative to the inspector's own directory, whatever prefix it is mounted
// under) with a report of what was done.
func redirect(w http.ResponseWriter, v url.Values, done string, n int) {
	v.Set("done", done)
	if n > 0 {
		v.Set("n", strconv.Itoa(n))
	}
	w.Header().Set("Location", "./?"+v.Encode())
	w.WriteHeader(http.StatusSeeOther)
}
