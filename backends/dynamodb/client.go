package dynamodb

import "github.com/aws/aws-sdk-go-v2/service/dynamodb"

// Client returns the client the backend was created with, for code that
// keeps its own items in the same table (such as the lock items of
// tokens/dynamolock). The client belongs to the caller of New.
func (b *Backend) Client() *dynamodb.Client { return b.client }
