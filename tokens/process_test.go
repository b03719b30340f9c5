package tokens_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/backends/redis"
	"github.com/cachedhttp/cachedhttp/tokens"
	"github.com/cachedhttp/cachedhttp/tokens/dynamolock"
	"github.com/cachedhttp/cachedhttp/tokens/redislock"
)

// Environment of the child half of TestRefreshOnceAcrossProcesses.
const (
	envChildKind = "TOKENS_TEST_CHILD_KIND" // a sharedStore kind
	envChildNS   = "TOKENS_TEST_CHILD_NS"   // its namespace
	envChildURL  = "TOKENS_TEST_CHILD_TOKEN_URL"
)

func TestMain(m *testing.M) {
	if kind := os.Getenv(envChildKind); kind != "" {
		os.Exit(child(kind, os.Getenv(envChildNS), os.Getenv(envChildURL)))
	}
	os.Exit(m.Run())
}

// sharedStore opens the store and locker of a kind on namespace ns, the
// same in both processes: "redis" (a Redis backend under prefix ns, with
// redislock), "redis without lock", "dynamodb" (the backend on table ns,
// with dynamolock) and "file" (FileStore in directory ns, with its flock).
func sharedStore(ctx context.Context, kind, ns string) (tokens.Store, tokens.Locker, func(), error) {
	switch kind {
	case "redis", "redis without lock":
		o, err := goredis.ParseURL(os.Getenv("CACHEDHTTP_REDIS_URL"))
		if err != nil {
			return nil, nil, nil, err
		}
		c := goredis.NewClient(o)
		b, err := redis.New(c, redis.Options{Prefix: ns})
		if err != nil {
			return nil, nil, nil, err
		}
		store, err := tokens.NewBackendStore(b, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		closeAll := func() { _ = c.Close() }
		if kind == "redis without lock" {
			return store, nil, closeAll, nil
		}
		l, err := redislock.ForBackend(b, &redislock.Options{Prefix: ns + "lock:"})
		return store, l, closeAll, err
	case "dynamodb":
		b, err := dynamodb.New(ctx, newDynamoClient(nilTB{}), ns, dynamodb.Options{})
		if err != nil {
			return nil, nil, nil, err
		}
		store, err := tokens.NewBackendStore(b, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		l, err := dynamolock.ForBackend(b, nil)
		return store, l, func() {}, err
	case "file":
		store, err := tokens.NewFileStore(ns, nil)
		return store, store, func() {}, err
	}
	return nil, nil, nil, fmt.Errorf("unknown kind %q", kind)
}

// nilTB lets the child use helpers that take a testing.TB for their
// failures; the child has its services configured, so they do not fail.
type nilTB struct{ testing.TB }

func (nilTB) Helper() {}

// announcingStore writes "loaded" to stdout after its first Load: the child
// has read the (expired) stored token and is about to lock.
type announcingStore struct {
	tokens.Store
	once sync.Once
}

func (s *announcingStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	tok, err := s.Store.Load(ctx, key)
	s.once.Do(func() { fmt.Println("loaded") })
	return tok, err
}

// announcingLocker writes "locking" to stdout before it waits for the lock.
type announcingLocker struct{ tokens.Locker }

func (l announcingLocker) Lock(ctx context.Context, key string) (func(context.Context) error, error) {
	fmt.Println("locking")
	return l.Locker.Lock(ctx, key)
}

// child asks for the token of key "shared" and prints it.
func child(kind, ns, tokenURL string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, locker, closeAll, err := sharedStore(ctx, kind, ns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer closeAll()
	cfg := &oauth2.Config{ClientID: "client", Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
	if locker != nil {
		locker = announcingLocker{locker}
	}
	ts, err := tokens.New(&announcingStore{Store: store}, "shared", &tokens.Refresher{Config: cfg}, &tokens.Options{Locker: locker})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 4
	}
	tok, err := ts.TokenContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 5
	}
	fmt.Println("token", tok.AccessToken)
	return 0
}

// Two processes whose shared token has expired ask for it at the same time;
// the token endpoint sees one refresh. The parent's refresh is held at the
// endpoint until the child has read the expired token; the child then waits
// for the lock (the endpoint is released once it says so), reads the
// parent's token from the store once it has it, and does not refresh. Without a lock (the control case) both refresh.
func TestRefreshOnceAcrossProcesses(t *testing.T) {
	cases := []struct {
		kind      string
		ns        func(t *testing.T) string
		refreshes int
	}{
		{"redis", func(t *testing.T) string { return "tokens-test:" + uniq() + ":" }, 1},
		{"dynamodb", func(t *testing.T) string { _, table := newDynamoBackend(t); return table }, 1},
		{"file", func(t *testing.T) string { return t.TempDir() }, 1},
		{"redis without lock", func(t *testing.T) string { return "tokens-test:" + uniq() + ":" }, 2},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			switch c.kind {
			case "redis", "redis without lock":
				newRedisBackend(t, "unused:") // fails or skips without Redis
			}
			ns := c.ns(t)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			store, locker, closeAll, err := sharedStore(ctx, c.kind, ns)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			t.Cleanup(func() { _ = store.Delete(context.Background(), "shared") })

			srv := newTokenServer(t)
			srv.gate = make(chan struct{})
			srv.entered = make(chan struct{}, 2)
			seedExpired(t, srv, store, "shared", "")
			ts, err := tokens.New(store, "shared", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Locker: locker})
			if err != nil {
				t.Fatal(err)
			}
			parent := make(chan string, 1)
			go func() {
				tok, err := ts.TokenContext(ctx)
				if err != nil {
					parent <- "error: " + err.Error()
					return
				}
				parent <- tok.AccessToken
			}()
			<-srv.entered // the parent holds the locks and its refresh is at the endpoint

			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildKind+"="+c.kind, envChildNS+"="+ns, envChildURL+"="+srv.URL+"/token")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "loaded" {
				close(srv.gate)
				_ = cmd.Wait()
				t.Fatalf("child: %q, stderr: %s", lines.Text(), stderr.String())
			}
			if c.refreshes == 2 {
				<-srv.entered // without a lock the child refreshes too
			} else {
				if !lines.Scan() || lines.Text() != "locking" {
					close(srv.gate)
					_ = cmd.Wait()
					t.Fatalf("child: %q, stderr: %s", lines.Text(), stderr.String())
				}
				// Give a lock that does not hold the child back the time
				// to show it: the child's refresh would reach the
				// endpoint. (A working lock passes whatever the delay.)
				select {
				case <-srv.entered:
					close(srv.gate)
					_ = cmd.Wait()
					t.Fatal("the child refreshed while the parent held the lock")
				case <-time.After(300 * time.Millisecond):
				}
			}
			close(srv.gate) // the parent's refresh completes
			var rest strings.Builder
			for lines.Scan() {
				rest.WriteString(lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child: %v, stderr: %s", err, stderr.String())
			}
			childToken, _ := strings.CutPrefix(strings.TrimSpace(rest.String()), "token ")
			parentToken := <-parent
			if n := srv.grants("refresh_token"); n != c.refreshes {
				t.Fatalf("token endpoint saw %d refreshes, want %d (parent %q, child %q)", n, c.refreshes, parentToken, childToken)
			}
			if c.refreshes == 1 && (parentToken != "access-1" || childToken != "access-1") {
				t.Fatalf("parent got %q, child %q; want both access-1", parentToken, childToken)
			}
		})
	}
}
