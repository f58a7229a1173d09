//! Cache suite (being written): in-process backend always, Redis with DAL_TEST_REDIS_URL.
