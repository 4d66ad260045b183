/**
 * Phrases the reference drops from phrase-grounding answers: pronouns, determiners and generic
 * words (transformers' `banned_grounding_tokens`, the same list as Microsoft's
 * `black_list_of_phrase_grounding`, without its duplicates). Compared exactly and case-sensitively
 * with the trimmed phrase, so "The" is kept while "the" is dropped.
 */
export const GROUNDING_BANNED_PHRASES: ReadonlySet<string> = new Set([
  ...["it", "I", "me", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers"],
  ...["they", "them", "their", "theirs", "one", "oneself", "we", "us", "our", "ours", "its"],
  ...["myself", "yourself", "himself", "herself", "itself", "ourselves", "yourselves", "themselves"],
  ...["this", "that", "these", "those", "who", "whom", "whose", "which", "what", "all", "another"],
  ...["any", "anybody", "anyone", "anything", "each", "everybody", "everyone", "everything", "few"],
  ...["many", "nobody", "none", "several", "some", "somebody", "someone", "something", "each other"],
  ...["one another", "the image", "image", "images", "the", "a", "an", "a group", "other objects"],
  ...["lots", "a set"],
]);
