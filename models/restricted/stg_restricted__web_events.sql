-- Identify traits of the web stream, cleaned for matching:
-- see macros/segment_trait_match_attributes.sql.
{{ segment_trait_match_attributes('web') }}
