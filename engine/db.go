package engine

import (
	"encoding/json"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

const dbFile = "berth.db"

// Buckets of the database. Values are JSON records.
var (
	bucketImages         = []byte("images")          // image ID → Image
	bucketImageNames     = []byte("image-names")     // name → image ID
	bucketSnapshots      = []byte("snapshots")       // chain ID → snapshotRecord
	bucketContainers     = []byte("containers")      // container ID → containerRecord
	bucketContainerNames = []byte("container-names") // name → container ID
	bucketVolumes        = []byte("volumes")         // name → Volume
)

var allBuckets = [][]byte{bucketImages, bucketImageNames, bucketSnapshots, bucketContainers, bucketContainerNames, bucketVolumes}

// initDB creates the database and its buckets the first time.
func (e *Engine) initDB() error {
	if _, err := os.Stat(e.path(dbFile)); err == nil {
		return nil
	}
	return e.update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// open opens the database for one transaction. bbolt takes a file lock on
// it, shared for reading and exclusive for writing, and keeps it until
// Close: so the database is never kept open across other work.
func (e *Engine) open(readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(e.path(dbFile), 0o600, &bolt.Options{
		ReadOnly:       readOnly,
		NoFreelistSync: true,
		NoGrowSync:     true,
		FreelistType:   bolt.FreelistMapType,
		Timeout:        0,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", e.path(dbFile), err)
	}
	return db, nil
}

// view runs fn in a read transaction.
func (e *Engine) view(fn func(*bolt.Tx) error) error {
	db, err := e.open(true)
	if err != nil {
		return err
	}
	err = db.View(fn)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", dbFile, cerr)
	}
	return err
}

// update runs fn in a write transaction, committed when fn returns nil.
func (e *Engine) update(fn func(*bolt.Tx) error) error {
	db, err := e.open(false)
	if err != nil {
		return err
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", dbFile, cerr)
	}
	return err
}

// getJSON decodes the record key of bucket b into v; false when absent.
func getJSON(tx *bolt.Tx, b []byte, key string, v any) (bool, error) {
	data := tx.Bucket(b).Get([]byte(key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("record %s/%s: %w", b, key, err)
	}
	return true, nil
}

// putJSON stores v as the record key of bucket b.
func putJSON(tx *bolt.Tx, b []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("record %s/%s: %w", b, key, err)
	}
	return tx.Bucket(b).Put([]byte(key), data)
}

// forEachJSON decodes every record of bucket b in turn with decode.
func forEachJSON(tx *bolt.Tx, b []byte, fn func(key string, data []byte) error) error {
	return tx.Bucket(b).ForEach(func(k, v []byte) error { return fn(string(k), v) })
}
