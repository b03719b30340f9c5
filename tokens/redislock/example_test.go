package redislock_test

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends/redis"
	"github.com/cachedhttp/cachedhttp/tokens"
	"github.com/cachedhttp/cachedhttp/tokens/redislock"
)

// Processes on several machines share one token in Redis and refresh it
// once when it expires: the store keeps the token under the backend's
// prefix, the Locker serialises the refreshes.
func ExampleForBackend() {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	backend, err := redis.New(client, redis.Options{Prefix: "myapp:tokens:"})
	if err != nil {
		panic(err)
	}
	store, err := tokens.NewBackendStore(backend, nil)
	if err != nil {
		panic(err)
	}
	locker, err := redislock.ForBackend(backend, nil)
	if err != nil {
		panic(err)
	}
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: "https://auth.example/token"}}
	ts, err := tokens.New(store, "alice", &tokens.Refresher{Config: cfg}, &tokens.Options{Locker: locker})
	if err != nil {
		panic(err)
	}
	resp, err := oauth2.NewClient(context.Background(), ts).Get("https://api.example/me")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
}
