package ledger

import (
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// nodeCache keeps the Merkle nodes that inclusion proofs of new entries
// need, so a settlement notice costs no database read: every node at level
// cacheLevel and above (about one per 128 leaves), and the lower nodes of
// the last cacheWindow leaves. Anything else is read from the store.
type nodeCache struct {
	mu    sync.RWMutex
	nodes map[compact.NodeID][]byte
	low   []compact.NodeID // low-level nodes in the order they were added
}

const (
	cacheLevel  = 8
	cacheWindow = 1 << 14
)

func newNodeCache() *nodeCache { return &nodeCache{nodes: map[compact.NodeID][]byte{}} }

// add records a batch's new nodes; size is the tree size after the batch.
func (c *nodeCache) add(nodes []merkleNode, size uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range nodes {
		id := compact.NewNodeID(n.level, n.index)
		c.nodes[id] = n.hash
		if n.level < cacheLevel {
			c.low = append(c.low, id)
		}
	}
	// Drop low nodes that end before the window.
	drop := 0
	for _, id := range c.low {
		if _, end := id.Coverage(); end+cacheWindow > size {
			break
		}
		delete(c.nodes, id)
		drop++
	}
	c.low = c.low[drop:]
}

// get returns the hashes it has of ids, and the positions it lacks.
func (c *nodeCache) get(ids []compact.NodeID) (hashes [][]byte, missing []int) {
	hashes = make([][]byte, len(ids))
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, id := range ids {
		if h, ok := c.nodes[id]; ok {
			hashes[i] = h
		} else {
			missing = append(missing, i)
		}
	}
	return hashes, missing
}
