{#-
    The text of each social mention, as the listening tool exported it: free text written by a
    person, which can name people and places, so it stays in the restricted schema. The Dagster
    asset sentiment/social_mentions reads it and publishes only a sentiment score per mention;
    it scores a text again when the text landed again (`_loaded_at`) after its score.
-#}
with

source as (
    select * from {{ source('social', 'mentions') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.text') }} as mention_text,
        {{ json_text('payload', '$.language') }} as language_code,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        concat('social__mentions:', record_key) as record_id,
        record_key,
        occurred_at,
        language_code,
        mention_text,
        _loaded_at
    from deduplicated
    where nullif(trim(mention_text), '') is not null
)

select * from final
