-- Identify traits of the mobile app stream, cleaned for matching:
-- see macros/segment_trait_match_attributes.sql.
{{ segment_trait_match_attributes('mobile_app') }}
