package tokens

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/oauth2"
)

// maxFileSize bounds what FileStore reads: a token file is a few hundred
// bytes, anything near this size is not one.
const maxFileSize = 1 << 20

// FileStore keeps each token in a file in spotipy's format (its
// CacheFileHandler): the JSON object spotipy writes, with access_token,
// token_type, expires_in, refresh_token, scope (space-separated) and
// expires_at (Unix seconds), written byte for byte as Python's json.dumps
// writes them, so that a token cached by a Python tool serves a Go tool and
// the other way round. Fields it does not know are kept when
// a loaded token is saved again. With StoreOptions.Keys the files are
// encrypted instead, and spotipy can no longer read them.
//
// Files are created with mode 0600 in directories created with mode 0700,
// and replaced atomically (a temporary file renamed over the old one), so a
// reader never sees half a token.
//
// FileStore is a Locker: Lock takes an exclusive flock(2) on the token
// file's path with ".lock" appended, which serialises refreshes between the
// Go processes that share the file (spotipy takes no lock, so a Python
// process may still refresh at the same time). On systems without flock
// the lock serialises the goroutines of one process only.
type FileStore struct {
	path  func(key string) (string, error)
	codec codec
}

var (
	_ Store  = (*FileStore)(nil)
	_ Locker = (*FileStore)(nil)
)

// NewFileStore returns a FileStore keeping tokens in dir under spotipy's
// file names: ".cache" for the empty key and ".cache-KEY" for the others
// (spotipy's name for a username's cache). An empty dir means the current
// directory, spotipy's default. Keys containing a path separator or NUL,
// and the keys "." and "..", are refused with ErrInvalidKey.
func NewFileStore(dir string, opts *StoreOptions) (*FileStore, error) {
	c, err := newCodec(opts)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = "."
	}
	return &FileStore{codec: c, path: func(key string) (string, error) {
		if key == "" {
			return filepath.Join(dir, ".cache"), nil
		}
		if key == "." || key == ".." || strings.ContainsAny(key, "/\\\x00") {
			return "", ErrInvalidKey
		}
		return filepath.Join(dir, ".cache-"+key), nil
	}}, nil
}

// NewFileStoreAt returns a FileStore keeping the token of every key in the
// one file at path (spotipy's cache_path). Use it for one token per file.
func NewFileStoreAt(path string, opts *StoreOptions) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("tokens: new file store: empty path")
	}
	c, err := newCodec(opts)
	if err != nil {
		return nil, err
	}
	return &FileStore{codec: c, path: func(string) (string, error) { return path, nil }}, nil
}

// Path returns the file that holds (or would hold) the token of key.
func (s *FileStore) Path(key string) (string, error) {
	p, err := s.path(key)
	if err != nil {
		return "", fmt.Errorf("tokens: path %q: %w", key, err)
	}
	return p, nil
}

// Load returns the token in key's file. Errors match ErrNotFound (and
// fs.ErrNotExist) when the file does not exist and ErrUndecodable when it
// does not hold a token this store reads.
func (s *FileStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tokens: load %q: %w", key, err)
	}
	path, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("tokens: load %q: %w", key, err)
	}
	data, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokens: load %q: %w: %w", key, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: load %q: %w", key, err)
	}
	tok, err := s.codec.decode(data)
	if err != nil {
		return nil, fmt.Errorf("tokens: load %q from %s: %w", key, path, err)
	}
	return tok, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrUndecodable, maxFileSize)
	}
	return data, nil
}

// Save writes tok to key's file, replacing it atomically, and creates the
// directory (mode 0700) when missing.
func (s *FileStore) Save(ctx context.Context, key string, tok *oauth2.Token) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tokens: save %q: %w", key, err)
	}
	path, err := s.path(key)
	if err != nil {
		return fmt.Errorf("tokens: save %q: %w", key, err)
	}
	data, err := s.codec.encode(tok)
	if err != nil {
		return fmt.Errorf("tokens: save %q: %w", key, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("tokens: save %q to %s: %w", key, path, err)
	}
	return nil
}

// writeAtomic writes data to a new 0600 file beside path, syncs it and
// renames it over path.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Delete removes key's file.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tokens: delete %q: %w", key, err)
	}
	path, err := s.path(key)
	if err != nil {
		return fmt.Errorf("tokens: delete %q: %w", key, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("tokens: delete %q: %w", key, err)
	}
	return nil
}

// Lock takes an exclusive lock on key's file path with ".lock" appended
// (created with mode 0600 and left in place), polling until it holds it or
// ctx ends. The lock is released by the unlock function or when the
// process exits, so it needs no lease.
func (s *FileStore) Lock(ctx context.Context, key string) (func(context.Context) error, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("tokens: lock %q: %w", key, err)
	}
	unlock, err := lockFile(ctx, path+".lock")
	if err != nil {
		return nil, fmt.Errorf("tokens: lock %q: %w", key, err)
	}
	return unlock, nil
}
