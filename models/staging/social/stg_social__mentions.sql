{{ config(
    unique_key='mention_id',
    post_hook="{{ forget_withdrawn_copies(source('social', 'mentions')) }}",
) }}
with

source as (
    {{ landed_records(source('social', 'mentions'), 'mention_id') }}
),

renamed as (
    select
        record_key as mention_id,
        lower({{ json_text('payload', '$.platform') }}) as platform,
        lower({{ json_text('payload', '$.kind') }}) as kind,
        {{ json_text('payload', '$.handle') }} as handle,
        {{ json_text('payload', '$.linked_contact.crm_id') }} as crm_id,
        {{ json_text('payload', '$.linked_contact.email') }} as linked_email,
        lower({{ json_text('payload', '$.language') }}) as language_code,
        {{ json_text('payload', '$.in_reply_to_id') }} as in_reply_to_id,
        coalesce(trim({{ json_text('payload', '$.text') }}), '') != '' as has_text,
        {{ to_utc(json_text('payload', '$.created_at')) }} as created_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'mention_id') }}
),

final as (
    select
        mention_id,
        platform,
        kind,
        {{ pseudonymize("lower(trim(handle))", 'handle') }} as handle_key,
        crm_id,
        {{ pseudonymize(normalize_email('linked_email'), 'email') }} as email_key,
        language_code,
        in_reply_to_id,
        has_text,
        created_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
